"""Training curves of a run (every loss term, the validation score and any live-intent count per epoch) as a PNG."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from recbole_elcrec.evaluation.report import pyplot, save_figure
from recbole_elcrec.evaluation.selection import checkpoint_epoch
from recbole_elcrec.utils.compat import load_checkpoint

NOT_LOSSES = frozenset({"epoch", "train_seconds", "valid_score", "estep_seconds", "active_intents", "live_centres",
                        "dead_intents", "duplicate_intents"})
INTENT_COUNTS = ("active_intents", "live_centres")


def read_history(path: str | Path) -> list[dict[str, Any]]:
    """The per-epoch history of a run from its results JSON or any of its checkpoints."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    record = _read_json(path) if path.suffix == ".json" else load_checkpoint(path)
    history = (record.get("history") or []) if isinstance(record, dict) else []
    if not history:
        raise ValueError(f"{path} holds no per-epoch history (RecBole models' records from before 2026-12-04 "
                         "keep none: their scores are in the run's log)")
    return history


def _read_json(path: Path) -> object:
    """A JSON file's content; a ValueError naming the file (and the line) when it is cut short or not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not a complete JSON file ({error}); pass the run's checkpoint "
                         "(--checkpoint) instead") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not a text JSON file ({error.reason})") from None


def loss_terms(history: list[dict[str, Any]]) -> list[str]:
    """Names of the numeric per-epoch loss terms, in the order the trainer recorded them."""
    names: list[str] = []
    for record in history:
        names += [key for key, value in record.items() if key not in NOT_LOSSES and key not in names
                  and isinstance(value, (int, float)) and not isinstance(value, bool)]
    return names


def _series(history: list[dict[str, Any]], key: str) -> tuple[list[int], list[float]]:
    """Epochs and values of ``key`` over the records that have it."""
    records = [record for record in history if key in record]
    return [record["epoch"] for record in records], [record[key] for record in records]


def plot_curves(history: list[dict[str, Any]], out: str | Path, title: str = "") -> Path:
    """Loss terms, validation score and (with adaptive centres) live intents against the epoch."""
    plt = pyplot()
    counts = [key for key in INTENT_COUNTS if any(key in record for record in history)]
    figure, axes = plt.subplots(1, 3 if counts else 2, figsize=(15 if counts else 10, 3.8))
    for term in loss_terms(history):
        axes[0].plot(*_series(history, term), marker=".", label=term)
    axes[0].set(xlabel="epoch", ylabel="weighted loss term (mean over batches)")
    axes[0].legend()
    axes[1].plot(*_series(history, "valid_score"), marker="o", color="tab:green")
    axes[1].set(xlabel="epoch", ylabel="validation score")
    for key in counts:
        axes[2].plot(*_series(history, key), marker="o", label=key)
    if counts:
        axes[2].set(xlabel="epoch", ylabel="intents")
        axes[2].legend()
    figure.suptitle(title)
    figure.tight_layout()
    return save_figure(figure, out)


def labelled_runs(specs: list[str]) -> dict[str, Path]:
    """``LABEL=PATH`` (or a bare ``PATH``, labelled by its file name) of every run to overlay, labels unique."""
    runs: dict[str, Path] = {}
    for spec in specs:
        label, _, path = spec.partition("=") if "=" in spec else ("", "", spec)
        label = label or Path(path).stem
        if label in runs:
            raise ValueError(f"--overlay names the label {label!r} twice; give each run its own LABEL=PATH")
        runs[label] = Path(path)
    return runs


def plot_validation_overlay(histories: dict[str, list[dict[str, Any]]], out: str | Path, title: str = "") -> Path:
    """The validation score of several runs against the epoch on one chart, each run's tested epoch marked."""
    plt = pyplot()
    figure, axis = plt.subplots(figsize=(7.5, 4.2))
    for label, history in histories.items():
        epochs, scores = _series(history, "valid_score")
        if not scores:
            raise ValueError(f"run {label!r} has no validation score in its history")
        line = axis.plot(epochs, scores, marker=".", label=f"{label} (best {max(scores):.4f})")[0]
        axis.plot(checkpoint_epoch(zip(epochs, scores, strict=True)), max(scores), marker="o", markersize=9,
                  fillstyle="none", color=line.get_color())
    axis.set(xlabel="epoch", ylabel="validation score", title=title)
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    return save_figure(figure, out)
