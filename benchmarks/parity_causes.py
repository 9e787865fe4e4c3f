"""How each candidate difference of evaluation moves a converted model's test metrics (README, parity table).

Run: python benchmarks/parity_causes.py --checkpoint saved/ELCRec-Beauty-1-authors.pth --out results/parity
(a checkpoint from `recbole-elcrec convert`). Scores every test user once per variant with the model, ranks
against all items and prints/writes a Markdown table and JSON of test HR/NDCG@5/20 per variant.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from recbole_elcrec.evaluation.protocol import earlier_items
from recbole_elcrec.evaluation.report import markdown_table
from recbole_elcrec.quick_start.restore import Trained, load_trained
from recbole_elcrec.utils.io import atomic_write_json, atomic_write_text


@torch.no_grad()
def test_scores(trained: Trained, with_special_rows: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``[users, items]`` scores of every test row (padding and mask-token rows appended when asked), targets."""
    model, test = trained.model, trained.test_data.dataset.inter_feat
    seq_field, len_field = model.ITEM_SEQ, model.ITEM_SEQ_LEN
    weights = model.encoder.item_embedding.weight if with_special_rows else model.encoder.item_weights(model.n_items)
    scores = [model.forward(test[seq_field][start:start + 2048], test[len_field][start:start + 2048]) @ weights.T
              for start in range(0, len(test), 2048)]
    return torch.cat(scores).numpy(), test[model.ITEM_ID].numpy()


def metrics(scores: np.ndarray, targets: np.ndarray) -> dict[str, float]:
    """HR and NDCG at 5 and 20: the target's rank is the number of items scored strictly higher."""
    rank = (scores > scores[np.arange(len(scores)), targets][:, None]).sum(1)
    return {f"{name}@{k}": float(np.mean(values)) for k in (5, 20)
            for name, values in (("hit", rank < k), ("ndcg", np.where(rank < k, 1 / np.log2(rank + 2), 0)))}


def remove(scores: np.ndarray, history, fill: float, last: int | None = None, keep_last: int = 0) -> np.ndarray:
    """Scores with padding and each row's earlier items set to ``fill`` (only the ``last`` ones; ``keep_last``
    kept); with ``history`` None only padding is removed."""
    scores = scores.copy()
    scores[:, 0] = -np.inf
    for row in range(len(scores) if history is not None else 0):
        items = history.items[history.starts[row]: history.starts[row] + history.counts[row] - keep_last]
        scores[row, items[-last:] if last else items] = fill
    return scores


def variants(trained: Trained) -> dict[str, Callable[[], dict[str, float]]]:
    """Each candidate difference as a function computing the test metrics under it."""
    config, data = trained.config, trained.test_data
    splits = [trained.train_data.dataset, trained.valid_data.dataset, data.dataset]
    history = earlier_items(splits, config["USER_ID_FIELD"], config["ITEM_ID_FIELD"],
                            config["ITEM_ID_FIELD"] + config["LIST_SUFFIX"])[2]
    length = config["MAX_ITEM_LIST_LENGTH"]

    def scored(fill=-np.inf, removed=history, **options):
        scores, targets = test_scores(trained)
        return metrics(remove(scores, removed, fill, **options), targets)

    def special_rows():
        scores, targets = test_scores(trained, with_special_rows=True)
        return metrics(remove(scores, history, 0.0), targets)

    def changed(modules: list, name: str, value, usual):
        for module in modules:
            setattr(module, name, value)
        try:
            return scored()
        finally:
            for module in modules:
                setattr(module, name, usual)

    encoder = trained.model.encoder
    norms = [module for module in encoder.modules() if isinstance(module, torch.nn.LayerNorm)]
    return {
        "none (the whole history removed)": scored,
        "masked scores set to 0 (the authors') instead of minus infinity": lambda: scored(fill=0.0),
        "padding and mask-token rows scored too, masked with 0 (the authors')": special_rows,
        "LayerNorm epsilon 1e-5 instead of 1e-12": lambda: changed(norms, "eps", 1e-5, 1e-12),
        f"only the last {length} items (the model's input) removed": lambda: scored(last=length),
        "the validation item left in the ranking at test": lambda: scored(keep_last=1),
        "positions aligned at the start (RecBole's) instead of the end": lambda: changed(
            [encoder], "position_alignment", "start", "end"),
        "no history removed (RecBole's protocol)": lambda: scored(removed=None),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", required=True, help="a converted (or trained) checkpoint of this package")
    parser.add_argument("--out", default="results/parity", help="folder for parity_causes.md / .json")
    args = parser.parse_args(argv)
    trained = load_trained(args.checkpoint, "cpu")
    rows = [{"candidate cause": name, **compute()} for name, compute in variants(trained).items()]
    table = pd.DataFrame(rows)[["candidate cause", "ndcg@5", "hit@5", "ndcg@20", "hit@20"]]
    atomic_write_json(Path(args.out) / "parity_causes.json", rows)
    atomic_write_text(Path(args.out) / "parity_causes.md", markdown_table(table))
    print(markdown_table(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
