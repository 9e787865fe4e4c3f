"""Initialisation of learnable cluster centres from a sample of embeddings, never a pass over all users."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def random_unit_vectors(k: int, dim: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """``[k, dim]`` points drawn uniformly on the unit sphere."""
    return F.normalize(torch.randn(k, dim, generator=generator), dim=-1)


def kmeans_plus_plus(points: torch.Tensor, k: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """k-means++ seeding on l2-normalised ``points``: ``[k, d]`` centres on the unit sphere.

    The first centre is a uniform draw; each further one is drawn with probability proportional
    to the squared distance to the nearest chosen centre. When there are fewer distinct points
    than ``k``, the remaining centres are random unit vectors.
    """
    points = F.normalize(points.detach().float().cpu(), dim=-1)
    n = points.shape[0]
    if n == 0:
        return random_unit_vectors(k, points.shape[1], generator)
    chosen = [int(torch.randint(n, (1,), generator=generator))]
    nearest_sq = ((points - points[chosen[0]]) ** 2).sum(dim=-1)  # [n]
    while len(chosen) < k and nearest_sq.sum() > 1e-12:
        index = int(torch.multinomial(nearest_sq, 1, generator=generator))
        chosen.append(index)
        nearest_sq = torch.minimum(nearest_sq, ((points - points[index]) ** 2).sum(dim=-1))
    centres = points[chosen]
    missing = k - centres.shape[0]
    if missing:
        centres = torch.cat([centres, random_unit_vectors(missing, points.shape[1], generator)])
    return centres
