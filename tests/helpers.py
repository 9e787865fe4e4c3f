"""Test helpers: a tiny generated dataset and settings that train on it in seconds."""

from __future__ import annotations

import os
import random
from pathlib import Path

TINY_DATASET = "tiny"
TINY_USERS = 60  # users of the tiny dataset
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The paper's benchmark files and the authors' released model, beside the checkout (never copied into it).
SHARED = Path(os.environ.get("RECBOLE_ELCREC_SHARED", Path(__file__).resolve().parents[2] / "shared"))


def tiny_raw_sequences(data_path: Path) -> dict[str, list[str]]:
    """Every user's item tokens of the tiny dataset, in time order, read straight from its file."""
    sequences: dict[str, list[str]] = {}
    for line in (data_path / TINY_DATASET / f"{TINY_DATASET}.inter").read_text().splitlines()[1:]:
        user, item, _ = line.split("\t")
        sequences.setdefault(user, []).append(item)
    return sequences


def tiny_overrides(tmp_path: Path, data_path: Path, **extra) -> dict:
    """Settings that make any sequential model train on the tiny dataset in a few seconds."""
    settings = {
        "data_path": str(data_path), "checkpoint_dir": str(tmp_path / "saved"), "epochs": 2, "train_batch_size": 64,
        "eval_batch_size": 256, "hidden_size": 16, "inner_size": 32, "n_layers": 1, "n_heads": 1,
        "MAX_ITEM_LIST_LENGTH": 10, "n_clusters": 4, "centre_init_batches": 2, "show_progress": False,
        "state": "WARNING", "stopping_step": 5,
    }
    settings.update(extra)
    return settings


def write_tiny_inter(root: Path, name: str = TINY_DATASET, n_users: int = 60, n_items: int = 40, seed: int = 0) -> Path:
    """Users walking through one of four item blocks, 5-12 interactions each, as a RecBole atomic file."""
    rng = random.Random(seed)
    block = n_items // 4
    rows = ["user_id:token\titem_id:token\ttimestamp:float"]
    for user in range(1, n_users + 1):
        start = (user % 4) * block + 1
        item = start + rng.randrange(block)
        for position in range(rng.randint(5, 12)):
            rows.append(f"{user}\t{item}\t{position + 1}")
            item = start + (item - start + rng.choice([1, 1, 2])) % block
    path = root / name / f"{name}.inter"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows) + "\n")
    return path


def assert_png(path) -> None:
    """``path`` holds a PNG image of some size."""
    data = path.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 1000
