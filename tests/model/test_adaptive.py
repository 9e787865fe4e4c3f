"""Adaptive number of intents: dead and duplicate centres are re-seeded or pruned."""

import pytest
import torch
import torch.nn.functional as F

from recbole_elcrec.model.adaptive import adaptive_mode, duplicate_centres, farthest_embeddings, refresh_centres
from tests.model.test_elcrec import make_batch, make_model


def model_with_dead_and_duplicate_centre():
    model = make_model(n_clusters=4)
    embeddings, _ = model.user_intents(make_batch(32))
    mean_direction = F.normalize(embeddings.mean(0), dim=0)
    with torch.no_grad():
        model.cluster_centres[0] = mean_direction
        model.cluster_centres[1] = mean_direction * 2  # same direction: a duplicate of centre 0
        model.cluster_centres[2] = -mean_direction * 100  # faces away from every user: dead
        model.cluster_centres[3] = embeddings[(embeddings @ mean_direction).argmin()]  # serves its own user
    return model, embeddings


@pytest.mark.parametrize(("setting", "mode"), [(False, "none"), (None, "none"), ("none", "none"), (True, "reseed"),
                                               ("reseed", "reseed"), ("Prune", "prune")])
def test_adaptive_setting_names_a_mode(setting, mode):
    assert adaptive_mode(setting) == mode


def test_unknown_adaptive_setting_is_rejected():
    with pytest.raises(ValueError, match="adaptive_centres must be true, false or one of"):
        adaptive_mode("grow")


def test_duplicates_are_the_later_of_each_close_pair():
    centres = torch.tensor([[1.0, 0.0], [2.0, 0.0], [0.0, 1.0]])
    assert duplicate_centres(centres, torch.ones(3, dtype=torch.bool), 0.99).tolist() == [False, True, False]


def test_farthest_embeddings_are_distinct_and_far_from_the_centres():
    embeddings = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 1.0], [-1.0, 0.0], [0.9, 0.1]])
    seeds = farthest_embeddings(embeddings, torch.tensor([[1.0, 0.0]]), 2)
    assert sorted(map(tuple, seeds.tolist())) == [(-1.0, 0.0), (0.0, 1.0)]


def test_reseed_moves_dead_and_duplicate_centres_onto_users():
    model, embeddings = model_with_dead_and_duplicate_centre()
    report = refresh_centres(model, embeddings, "reseed")
    # centre 1 loses every tie to centre 0, so it counts as dead rather than duplicate
    assert report["dead"] + report["duplicates"] == 2 and report["live_after"] == 4
    unit = F.normalize(embeddings, dim=-1)
    moved = F.normalize(model.cluster_centres[[1, 2]].detach(), dim=-1)
    assert (moved @ unit.T).max(dim=1).values.min() > 0.999  # each now sits on a sampled user
    assert (moved[0] @ moved[1]) < 0.999  # on two different users


def test_prune_switches_centres_off_and_training_continues():
    model, embeddings = model_with_dead_and_duplicate_centre()
    report = refresh_centres(model, embeddings, "prune")
    assert report["live_after"] == 2
    assert not model.active_centres[1] and not model.active_centres[2]
    _, assignment = model.user_intents(make_batch(32))
    assert set(assignment.tolist()) <= set(model.active_centres.nonzero().squeeze(1).tolist())
    assert all(torch.isfinite(term) for term in model.calculate_loss(make_batch()))
