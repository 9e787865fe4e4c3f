"""Synthetic sequences with planted user intents, for tests, scale benchmarks and cluster-quality checks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recbole_elcrec.data.prepare import check_dataset_name, write_inter_file
from recbole_elcrec.utils.io import atomic_write_text

MAX_STEP = 2  # a user moves 1..MAX_STEP items forward inside its block


@dataclass
class PlantedIntents:
    """Interactions in flat arrays (one entry per action, users in order) and every user's intent."""

    user_ids: np.ndarray  # [actions], 1-based user ids
    item_ids: np.ndarray  # [actions], 1-based item ids
    positions: np.ndarray  # [actions], 1-based position in the user's sequence
    intent_of_user: np.ndarray  # [users], intent (0-based) of user u at index u - 1
    block_starts: np.ndarray  # [intents + 1], intent i owns items block_starts[i] .. block_starts[i + 1] - 1

    @property
    def n_users(self) -> int:
        return len(self.intent_of_user)

    def intent_of_item(self, item_ids: np.ndarray) -> np.ndarray:
        """The intent whose block holds each item."""
        return np.searchsorted(self.block_starts, item_ids, side="right") - 1


def intent_blocks(n_items: int, n_intents: int) -> np.ndarray:
    """First item of every intent's block, then ``n_items + 1``: items 1..n_items in near-equal blocks."""
    return 1 + (np.arange(n_intents + 1, dtype=np.int64) * n_items) // n_intents


def _check_arguments(n_users: int, n_items: int, n_intents: int, min_len: int, max_len: int,
                     purity: float) -> None:
    if n_users < 1 or n_intents < 1:
        raise ValueError(f"need n_users >= 1 and n_intents >= 1, got {n_users} and {n_intents}")
    if n_items < 2 * n_intents:
        raise ValueError(f"n_items={n_items} must be at least 2 * n_intents={2 * n_intents}")
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len, got min_len={min_len}, max_len={max_len}")
    if not 0.0 <= purity <= 1.0:
        raise ValueError(f"purity must lie in [0, 1], got {purity}")


def _steps_since_start(rng: np.random.Generator, lengths: np.ndarray, first: np.ndarray) -> np.ndarray:
    """For every action, how far its user has walked since its first action (random steps of 1..MAX_STEP)."""
    travelled = np.cumsum(rng.integers(1, MAX_STEP + 1, int(lengths.sum())))
    return travelled - np.repeat(travelled[first], lengths)


def generate_planted_intents(
    n_users: int, n_items: int, n_intents: int, min_len: int = 5, max_len: int = 20, purity: float = 0.9,
    seed: int = 0,
) -> PlantedIntents:
    """Users with one intent each; an intent owns a disjoint block of items.

    A user starts at a random item of its block and walks forward in steps of 1 or 2 items,
    wrapping inside the block, so the next item is predictable from the current one. With
    probability ``1 - purity`` an action is replaced by a uniformly random item of the whole
    catalogue. Vectorised over all actions: 10^6 users take a few seconds.
    """
    _check_arguments(n_users, n_items, n_intents, min_len, max_len, purity)
    rng = np.random.default_rng(seed)
    starts = intent_blocks(n_items, n_intents)
    lengths = rng.integers(min_len, max_len + 1, n_users)
    intent = rng.integers(0, n_intents, n_users)
    first = np.cumsum(lengths) - lengths  # index of each user's first action
    block_size = np.diff(starts)[intent]
    start_offset = (rng.random(n_users) * block_size).astype(np.int64)
    walked = np.repeat(start_offset, lengths) + _steps_since_start(rng, lengths, first)
    offset = walked % np.repeat(block_size, lengths)
    items = np.repeat(starts[intent], lengths) + offset
    noise = rng.random(items.shape) >= purity
    items[noise] = rng.integers(1, n_items + 1, int(noise.sum()))
    positions = np.arange(len(items)) - np.repeat(first, lengths) + 1
    user_ids = np.repeat(np.arange(1, n_users + 1), lengths)
    return PlantedIntents(user_ids, items, positions, intent, starts)


def write_planted_dataset(out_dir: str | Path, name: str, planted: PlantedIntents) -> Path:
    """``out_dir/name/name.inter`` (RecBole atomic file) and ``name.intents.csv`` (user_id, intent)."""
    check_dataset_name(name)
    table = pd.DataFrame({"user": planted.user_ids, "item": planted.item_ids, "timestamp": planted.positions})
    inter_file = write_inter_file(table, out_dir, name)
    truth = pd.DataFrame({"user_id": np.arange(1, planted.n_users + 1), "intent": planted.intent_of_user})
    atomic_write_text(inter_file.with_name(f"{name}.intents.csv"), truth.to_csv(index=False))
    return inter_file
