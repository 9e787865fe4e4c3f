"""Intent analysis of a checkpoint: restore it, then write per-user intents, cluster sizes, t-SNE, top items and NMI."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from recbole_elcrec.evaluation.intents import (
    centre_health,
    cluster_sizes,
    intent_centres,
    live_centre_mask,
    plot_cluster_sizes,
    plot_tsne,
    quality_against_truth,
    top_items_per_intent,
    user_intents,
    write_intent_tables,
)
from recbole_elcrec.quick_start.restore import load_trained
from recbole_elcrec.utils.io import atomic_write_json


def analyze(checkpoint: str | Path, out: str | Path, truth: str | Path | None = None, max_points: int = 2000,
            top: int = 10, device: str | None = None) -> dict[str, Any]:
    """Write every analysis output for ``checkpoint`` into ``out``; returns the summary (also ``summary.json``)."""
    out = Path(out)
    trained = load_trained(checkpoint, device)
    centres = intent_centres(trained.model)
    intents = user_intents(trained)
    sizes = cluster_sizes(intents.frame, len(centres))
    write_intent_tables(intents, sizes, top_items_per_intent(trained, intents, top), out)
    plot_cluster_sizes(sizes, out / "cluster_sizes.png")
    plot_tsne(intents, out / "tsne.png", max_points)
    summary = {"checkpoint": str(checkpoint), "model": trained.config["model"], "dataset": trained.config["dataset"],
               "users": len(intents.frame), "mean_distance": float(intents.frame["distance"].mean()),
               **centre_health(centres, live_centre_mask(trained.model, len(centres)), sizes)}
    if truth:
        summary.update(quality_against_truth(intents.frame, truth))
    atomic_write_json(out / "summary.json", summary)
    return summary
