"""Adaptive number of intents (beyond the paper): revive or prune dead centres and merge duplicates."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F

MODES = ("none", "reseed", "prune")
DEFAULT_DUPLICATE_COSINE = 0.99


def adaptive_mode(setting: Any) -> str:
    """The mode named by the ``adaptive_centres`` setting: false/none -> none, true -> reseed, or reseed/prune."""
    if setting is None or setting is False:
        return "none"
    if setting is True:
        return "reseed"
    mode = str(setting).lower()
    if mode not in MODES:
        raise ValueError(f"adaptive_centres must be true, false or one of {MODES}, got {setting!r}")
    return mode


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


def farthest_embeddings(embeddings: torch.Tensor, centres: torch.Tensor, count: int) -> torch.Tensor:
    """``[count, d]`` unit embeddings far from every centre and from each other (farthest-point traversal).

    The first is the sampled embedding worst served by its nearest centre (largest ``1 - cosine``);
    each next one is the farthest from the centres and the seeds chosen so far, so two seeds never
    land on the same sequence.
    """
    unit = F.normalize(embeddings, dim=-1)
    distance = 1 - (unit @ F.normalize(centres, dim=-1).T).max(dim=1).values  # [n]
    seeds = []
    for _ in range(min(count, len(unit))):
        chosen = unit[distance.argmax()]
        seeds.append(chosen)
        distance = torch.minimum(distance, 1 - unit @ chosen)
    return torch.stack(seeds) if seeds else unit[:0]


@torch.no_grad()
def active_intents(model, embeddings: torch.Tensor) -> int:
    """Number of live centres chosen by at least one of the sampled embeddings."""
    usage = centre_usage(model.assign_intents(embeddings), model.cluster_centres.shape[0])
    return int(((usage > 0) & model.active_centres).sum())


@torch.no_grad()
def refresh_centres(model, embeddings: torch.Tensor, mode: str,
                    threshold: float = DEFAULT_DUPLICATE_COSINE) -> dict[str, int]:
    """Treat centres that no sampled user chose (dead) and near-copies of an earlier centre (duplicates).

    ``reseed`` moves them onto the worst-served sampled users (k stays fixed, no centre is wasted);
    ``prune`` switches them off (never below two live centres), so the number of live centres
    settles at the number of intents the data supports. Returns the counts before and after.
    """
    if mode not in MODES[1:]:
        raise ValueError(f"refresh_centres needs mode reseed or prune, got {mode!r}")
    k = model.cluster_centres.shape[0]
    assignment = model.assign_intents(embeddings)
    usage = centre_usage(assignment, k)
    dead = (usage == 0) & model.active_centres
    duplicate = duplicate_centres(model.cluster_centres, model.active_centres & ~dead, threshold)
    treated = dead | duplicate
    report = {"live_before": int(model.active_centres.sum()), "active": int(((usage > 0) & model.active_centres).sum()),
              "dead": int(dead.sum()), "duplicates": int(duplicate.sum())}
    if mode == "prune":
        keep = model.active_centres & ~treated
        if keep.sum() >= 2:
            model.active_centres.copy_(keep)
    elif treated.any():
        kept = model.cluster_centres[model.active_centres & ~treated]
        seeds = farthest_embeddings(embeddings, kept, int(treated.sum()))
        model.cluster_centres[treated.nonzero().squeeze(1)[: len(seeds)]] = seeds.to(model.cluster_centres)
    report["live_after"] = int(model.active_centres.sum())
    return report


def adaptive_epoch(model, config, epoch_idx: int, sample_embeddings: Callable[[], torch.Tensor]) -> dict[str, int]:
    """The trainer's per-epoch step: history entries for the epoch (empty when ``adaptive_centres`` is off).

    Every epoch records ``active_intents`` (live centres used by the sampled training sequences);
    every ``adaptive_interval`` epochs after the first, dead and duplicate centres are also
    treated (``refresh_centres``) and ``dead_intents``, ``duplicate_intents`` and
    ``live_centres`` recorded.
    """
    mode = adaptive_mode(config["adaptive_centres"])
    if mode == "none" or not hasattr(model, "cluster_centres"):
        return {}
    embeddings = sample_embeddings()
    interval = max(1, int(config["adaptive_interval"] or 1))
    if epoch_idx == 0 or epoch_idx % interval:
        record = {"active_intents": active_intents(model, embeddings)}
    else:
        threshold = float(config["duplicate_cosine"] or DEFAULT_DUPLICATE_COSINE)
        report = refresh_centres(model, embeddings, mode, threshold)
        record = {"active_intents": report["active"], "dead_intents": report["dead"],
                  "duplicate_intents": report["duplicates"], "live_centres": report["live_after"]}
    logging.getLogger().info(f"epoch {epoch_idx} adaptive centres ({mode}, {len(embeddings)} sampled sequences): "
                             f"{record}")
    return record
