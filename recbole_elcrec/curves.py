"""Training curves (every loss term and the validation score per epoch) of a run, as a PNG."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from recbole_elcrec.compat import load_checkpoint
from recbole_elcrec.io import atomic_write

NOT_PLOTTED = {"epoch", "train_seconds", "valid_score"}


def read_history(path: str | Path) -> list[dict[str, Any]]:
    """The per-epoch history of a run from its results JSON or any of its checkpoints."""
    path = Path(path)
    record = json.loads(path.read_text()) if path.suffix == ".json" else load_checkpoint(path)
    history = record.get("history") or []
    if not history:
        raise ValueError(f"{path} holds no per-epoch history (was it written by ELCRecTrainer?)")
    return history


def plot_curves(history: list[dict[str, Any]], out: str | Path, title: str = "") -> Path:
    """Loss terms (left) and validation score (right) against the epoch."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = [record["epoch"] for record in history]
    terms = [key for key in history[0] if key not in NOT_PLOTTED and isinstance(history[0][key], (int, float))]
    figure, (losses, valid) = plt.subplots(1, 2, figsize=(10, 3.8))
    for term in terms:
        losses.plot(epochs, [record.get(term) for record in history], marker=".", label=term)
    losses.set_xlabel("epoch")
    losses.set_ylabel("weighted loss term (mean over batches)")
    losses.legend()
    scored = [record for record in history if "valid_score" in record]
    valid.plot([r["epoch"] for r in scored], [r["valid_score"] for r in scored], marker="o", color="tab:green")
    valid.set_xlabel("epoch")
    valid.set_ylabel("validation score")
    figure.suptitle(title)
    figure.tight_layout()
    path = atomic_write(out, lambda handle: figure.savefig(handle, format="png", dpi=120))
    plt.close(figure)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recbole_elcrec.curves", description=__doc__)
    parser.add_argument("run", help="the run's results .json or a checkpoint .pth")
    parser.add_argument("--out", help="PNG to write (default: beside the input, -curves.png)")
    args = parser.parse_args(argv)
    out = args.out or str(Path(args.run).with_suffix("")) + "-curves.png"
    try:
        path = plot_curves(read_history(args.run), out, Path(args.run).stem)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
