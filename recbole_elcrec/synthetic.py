"""Synthetic sequences with planted user intents, for tests, scale benchmarks and cluster-quality checks."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from recbole_elcrec.data import write_inter_file
from recbole_elcrec.io import atomic_write_text


@dataclass
class PlantedIntents:
    """Interactions in flat arrays (one entry per action) and the planted intent of every user."""

    user_ids: np.ndarray  # [actions], 1-based user ids
    item_ids: np.ndarray  # [actions], 1-based item ids
    positions: np.ndarray  # [actions], 1-based position in the user's sequence
    intent_of_user: np.ndarray  # [users], intent of user u at index u - 1

    @property
    def n_users(self) -> int:
        return len(self.intent_of_user)


def generate_planted_intents(
    n_users: int, n_items: int, n_intents: int, min_len: int = 5, max_len: int = 20, purity: float = 0.9,
    seed: int = 0,
) -> PlantedIntents:
    """Users with one intent each; an intent owns a disjoint block of items.

    A user walks through its block in steps of 1 or 2 items (wrapping), so the next item is
    predictable; with probability ``1 - purity`` an action is replaced by a uniformly random item.
    Vectorised over all actions: 10^6 users take seconds.
    """
    block = n_items // n_intents
    if block < 2:
        raise ValueError(f"n_items={n_items} must be at least 2 * n_intents={2 * n_intents}")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_len, max_len + 1, n_users)
    intent = rng.integers(0, n_intents, n_users)
    user_index = np.repeat(np.arange(n_users), lengths)  # [actions]
    first = np.cumsum(lengths) - lengths  # index of each user's first action
    steps = rng.integers(1, 3, lengths.sum())
    walked = np.cumsum(steps) - np.repeat(np.cumsum(steps)[first], lengths)  # steps taken before each action
    offset = (rng.integers(0, block, n_users)[user_index] + walked) % block
    items = 1 + intent[user_index] * block + offset
    noise = rng.random(items.shape) >= purity
    items[noise] = rng.integers(1, n_items + 1, int(noise.sum()))
    positions = np.arange(len(items)) - np.repeat(first, lengths) + 1
    return PlantedIntents(user_index + 1, items, positions, intent)


def write_planted_dataset(out_dir: str | Path, name: str, planted: PlantedIntents) -> Path:
    """``out_dir/name/name.inter`` (RecBole atomic file) and ``name.intents.csv`` (user_id, intent)."""
    table = pd.DataFrame({"user": planted.user_ids, "item": planted.item_ids, "timestamp": planted.positions})
    inter_file = write_inter_file(table, out_dir, name)
    truth = pd.DataFrame({"user_id": np.arange(1, planted.n_users + 1), "intent": planted.intent_of_user})
    atomic_write_text(inter_file.with_name(f"{name}.intents.csv"), truth.to_csv(index=False))
    return inter_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recbole_elcrec.synthetic", description=__doc__)
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--items", type=int, default=500)
    parser.add_argument("--intents", type=int, default=8)
    parser.add_argument("--min-len", type=int, default=5)
    parser.add_argument("--max-len", type=int, default=20)
    parser.add_argument("--purity", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="dataset")
    parser.add_argument("--name", default="planted")
    args = parser.parse_args(argv)
    planted = generate_planted_intents(args.users, args.items, args.intents, args.min_len, args.max_len,
                                       args.purity, args.seed)
    print(f"wrote {write_planted_dataset(args.out, args.name, planted)} ({len(planted.item_ids)} actions)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
