"""Adaptive number of intents (beyond the paper): revive or prune dead centres and merge duplicates."""

from __future__ import annotations

import torch
import torch.nn.functional as F

MODES = ("none", "reseed", "prune")


def centre_usage(assignment: torch.Tensor, k: int) -> torch.Tensor:
    """``[k]`` number of sampled users assigned to each centre."""
    return torch.bincount(assignment, minlength=k)


def duplicate_centres(centres: torch.Tensor, active: torch.Tensor, threshold: float) -> torch.Tensor:
    """``[k]`` mask of live centres whose cosine to an earlier live centre exceeds ``threshold``."""
    unit = F.normalize(centres, dim=-1)
    cosine = unit @ unit.T  # [k, k]
    both_live = active.unsqueeze(0) & active.unsqueeze(1)
    earlier = torch.tril(torch.ones_like(cosine, dtype=torch.bool), diagonal=-1)  # row j, column i < j
    return ((cosine > threshold) & both_live & earlier).any(dim=1)


def farthest_embeddings(embeddings: torch.Tensor, centres: torch.Tensor, assignment: torch.Tensor,
                        count: int) -> torch.Tensor:
    """``[count, d]`` unit embeddings farthest (cosine) from their assigned centre: the worst-served users."""
    unit = F.normalize(embeddings, dim=-1)
    distance = 1 - (unit * F.normalize(centres, dim=-1)[assignment]).sum(dim=-1)
    return unit[distance.topk(min(count, len(unit))).indices]


@torch.no_grad()
def refresh_centres(model, embeddings: torch.Tensor, mode: str, threshold: float = 0.99) -> dict[str, int]:
    """Treat centres that no sampled user chose (dead) and near-copies of another centre (duplicates).

    ``reseed`` moves them onto the worst-served sampled users (k stays fixed, no centre is wasted);
    ``prune`` switches them off, so the number of live centres settles at the number of intents the
    data supports. Returns counts before and after.
    """
    if mode not in MODES[1:]:
        raise ValueError(f"adaptive_centres must be one of {MODES}, got {mode!r}")
    k = model.cluster_centres.shape[0]
    assignment = model.assign_intents(embeddings)
    dead = (centre_usage(assignment, k) == 0) & model.active_centres
    duplicate = duplicate_centres(model.cluster_centres, model.active_centres, threshold) & ~dead
    treated = dead | duplicate
    report = {"live_before": int(model.active_centres.sum()), "dead": int(dead.sum()),
              "duplicates": int(duplicate.sum())}
    if mode == "prune":
        keep = model.active_centres & ~treated
        if keep.sum() >= 2:
            model.active_centres.copy_(keep)
    elif treated.any():
        seeds = farthest_embeddings(embeddings, model.cluster_centres, assignment, int(treated.sum()))
        model.cluster_centres[treated.nonzero().squeeze(1)[: len(seeds)]] = seeds.to(model.cluster_centres)
    report["live_after"] = int(model.active_centres.sum())
    return report
