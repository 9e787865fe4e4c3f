"""Centre initialisation from a sample of embeddings."""

import torch

from recbole_elcrec.model.centres import kmeans_plus_plus, random_unit_vectors


def test_random_unit_vectors_are_unit():
    centres = random_unit_vectors(5, 3, torch.Generator().manual_seed(0))
    assert torch.allclose(centres.norm(dim=1), torch.ones(5))


def test_kmeans_plus_plus_spreads_over_separated_groups():
    groups = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])
    points = groups.repeat_interleave(20, dim=0) + 0.01 * torch.randn(60, 2, generator=torch.Generator().manual_seed(0))
    centres = kmeans_plus_plus(points, 3, torch.Generator().manual_seed(1))
    nearest_group = torch.cdist(centres, groups).argmin(dim=1)
    assert sorted(nearest_group.tolist()) == [0, 1, 2]


def test_kmeans_plus_plus_fills_with_random_when_too_few_points():
    points = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    centres = kmeans_plus_plus(points, 4, torch.Generator().manual_seed(0))
    assert centres.shape == (4, 2)
    assert torch.allclose(centres.norm(dim=1), torch.ones(4))
