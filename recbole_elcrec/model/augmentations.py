"""Sequence augmentations (crop, mask, reorder) vectorised over a padded batch, with no per-sample Python.

Sequences are left-aligned as in RecBole: ``item_seq[i, :length[i]]`` holds the items, padding (0) follows.
"""

from __future__ import annotations

import torch

CROP, MASK, REORDER = 0, 1, 2


def _positions(item_seq: torch.Tensor) -> torch.Tensor:
    """``[1, L]`` position indices of a ``[B, L]`` batch."""
    return torch.arange(item_seq.shape[1], device=item_seq.device).unsqueeze(0)


def _window(lengths: torch.Tensor, ratio: float, minimum: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random window per row: its length ``max(minimum, floor(ratio * len))`` (capped at len) and start."""
    window_len = torch.clamp(torch.floor(lengths.float() * ratio).long(), min=minimum)
    window_len = torch.minimum(window_len, lengths)
    slack = (lengths - window_len + 1).float()  # number of valid start positions
    start = torch.floor(torch.rand(lengths.shape, device=lengths.device) * slack).long()
    return window_len, start


def crop(item_seq: torch.Tensor, lengths: torch.Tensor, ratio: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Keep a random contiguous sub-sequence of ``max(1, floor(ratio * len))`` items, left-aligned."""
    crop_len, start = _window(lengths, ratio, minimum=1)
    positions = _positions(item_seq)
    source = (start.unsqueeze(1) + positions).clamp(max=item_seq.shape[1] - 1)  # [B, L]
    cropped = item_seq.gather(1, source)
    cropped = cropped.masked_fill(positions >= crop_len.unsqueeze(1), 0)
    return cropped, crop_len


def mask(
    item_seq: torch.Tensor, lengths: torch.Tensor, ratio: float, mask_token: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """Replace ``floor(ratio * len)`` randomly chosen items of each sequence by ``mask_token``."""
    positions = _positions(item_seq)
    valid = positions < lengths.unsqueeze(1)
    keys = torch.rand(item_seq.shape, device=item_seq.device).masked_fill(~valid, 2.0)
    rank = keys.argsort(dim=1).argsort(dim=1)  # rank of each position among the row's keys
    n_masked = torch.floor(lengths.float() * ratio).long()
    masked = item_seq.masked_fill(rank < n_masked.unsqueeze(1), mask_token)
    return masked, lengths


def reorder(item_seq: torch.Tensor, lengths: torch.Tensor, ratio: float) -> tuple[torch.Tensor, torch.Tensor]:
    """Shuffle a random contiguous window of ``floor(ratio * len)`` items in place.

    Positions outside the window keep their integer index as sort key; window positions get
    random keys inside ``[start, start + window)``, so one ``argsort`` permutes the window only.
    """
    window_len, start = _window(lengths, ratio, minimum=0)
    positions = _positions(item_seq).expand_as(item_seq)
    offset = positions - start.unsqueeze(1)
    in_window = (offset >= 0) & (offset < window_len.unsqueeze(1))
    random_keys = start.unsqueeze(1) + torch.rand(item_seq.shape, device=item_seq.device) * window_len.unsqueeze(1)
    keys = torch.where(in_window, random_keys, positions.float())
    return item_seq.gather(1, keys.argsort(dim=1)), lengths


def random_augment(
    item_seq: torch.Tensor,
    lengths: torch.Tensor,
    crop_ratio: float,
    mask_ratio: float,
    reorder_ratio: float,
    mask_token: int,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One view of the batch: each sequence gets crop, mask or reorder, chosen uniformly per row."""
    choice = torch.randint(0, 3, lengths.shape, device=item_seq.device)
    cropped, crop_len = crop(item_seq, lengths, crop_ratio)
    masked, _ = mask(item_seq, lengths, mask_ratio, mask_token)
    reordered, _ = reorder(item_seq, lengths, reorder_ratio)
    row = choice.unsqueeze(1)
    view = torch.where(row == CROP, cropped, torch.where(row == MASK, masked, reordered))
    view_len = torch.where(choice == CROP, crop_len, lengths)
    return view, view_len
