"""Intent analysis of a trained ELCRec: per-user intents, cluster sizes, t-SNE, top items, quality vs truth."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from tqdm import tqdm

from recbole_elcrec.io import atomic_write, atomic_write_json, atomic_write_text
from recbole_elcrec.restore import Trained, load_trained, sequence_batch, user_histories

DUPLICATE_COSINE = 0.99


@dataclass
class UserIntents:
    """Per-user intents (``frame``: user_id, intent, distance) with the unit embeddings and histories."""

    frame: pd.DataFrame
    embeddings: np.ndarray  # [users, d]
    histories: list[list[int]]  # internal item ids, in the rows' order


def user_intents(trained: Trained, batch_size: int = 1024) -> UserIntents:
    """One row per user: original id, intent (nearest centre, Eq. 5) and cosine distance to that centre.

    The user's embedding is computed from their whole known history.
    """
    if not hasattr(trained.model, "user_intents"):
        raise ValueError(f"model {type(trained.model).__name__} learns no intents; analyze needs ELCRec")
    histories = user_histories(trained)
    users = sorted(histories)
    centres = F.normalize(trained.model.cluster_centres.detach(), dim=-1)
    intents, distances, embeddings = [], [], []
    with torch.no_grad():
        for start in tqdm(range(0, len(users), batch_size), desc="Embedding users", ncols=100):
            batch = sequence_batch(trained, [histories[user] for user in users[start : start + batch_size]])
            embedding, assignment = trained.model.user_intents(batch)
            unit = F.normalize(embedding, dim=-1)
            intents.append(assignment.cpu())
            distances.append((1 - (unit * centres[assignment]).sum(-1)).cpu())
            embeddings.append(unit.cpu())
    tokens = trained.dataset.id2token(trained.config["USER_ID_FIELD"], np.array(users))
    frame = pd.DataFrame({"user_id": tokens, "intent": torch.cat(intents).numpy(),
                          "distance": torch.cat(distances).numpy()})
    return UserIntents(frame, torch.cat(embeddings).numpy(), [histories[user] for user in users])


def centre_health(centres: torch.Tensor, intents: np.ndarray) -> dict[str, int]:
    """Numbers of centres, of dead (no user) centres and of duplicate centre pairs (cosine > 0.99)."""
    k = centres.shape[0]
    unit = F.normalize(centres.detach().cpu(), dim=-1)
    cosine = unit @ unit.T
    duplicates = int(torch.triu(cosine > DUPLICATE_COSINE, diagonal=1).sum())
    used = len(np.unique(intents))
    return {"centres": k, "active_centres": used, "dead_centres": k - used, "duplicate_centre_pairs": duplicates}


def top_items_per_intent(trained: Trained, intents: UserIntents, top: int = 10) -> pd.DataFrame:
    """The ``top`` most frequent items (original ids) in the histories of each intent's users."""
    rows = []
    for intent, indices in intents.frame.groupby("intent").indices.items():
        counts = Counter(item for index in indices for item in intents.histories[index])
        for rank, (item, count) in enumerate(counts.most_common(top), start=1):
            rows.append({"intent": int(intent), "rank": rank, "count": count,
                         "item_id": trained.dataset.id2token(trained.config["ITEM_ID_FIELD"], item)})
    return pd.DataFrame(rows)


def quality_against_truth(frame: pd.DataFrame, truth_csv: str | Path) -> dict[str, float]:
    """NMI and ARI between learned intents and planted ones (``user_id,intent`` CSV)."""
    truth = pd.read_csv(truth_csv, dtype={"user_id": str})
    merged = frame.merge(truth, on="user_id", suffixes=("", "_true"))
    if merged.empty:
        raise ValueError(f"{truth_csv}: no user id in common with the model's dataset")
    return {"nmi": float(normalized_mutual_info_score(merged["intent_true"], merged["intent"])),
            "ari": float(adjusted_rand_score(merged["intent_true"], merged["intent"])), "users_matched": len(merged)}


def _save_png(figure, path: Path) -> Path:
    import matplotlib.pyplot as plt

    atomic_write(path, lambda handle: figure.savefig(handle, format="png", dpi=120))
    plt.close(figure)
    return path


def plot_cluster_sizes(frame: pd.DataFrame, k: int, path: Path) -> Path:
    """Histogram of users per intent (dead centres show as empty bars)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = np.bincount(frame["intent"].to_numpy(), minlength=k)
    figure, axis = plt.subplots(figsize=(7, 3.5))
    axis.bar(np.arange(k), sizes, width=1.0)
    axis.set_xlabel("intent (centre index)")
    axis.set_ylabel("users")
    axis.set_title(f"Users per intent ({int((sizes == 0).sum())} of {k} centres empty)")
    figure.tight_layout()
    return _save_png(figure, path)


def plot_tsne(intents: UserIntents, path: Path, max_points: int = 2000, seed: int = 0) -> Path:
    """2-D t-SNE of user embeddings coloured by intent (paper Figure 7), on at most ``max_points`` users."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.manifold import TSNE

    embeddings = intents.embeddings
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(embeddings), size=min(max_points, len(embeddings)), replace=False)
    perplexity = float(min(30, max(2, len(chosen) - 1) / 3))
    points = TSNE(n_components=2, perplexity=perplexity, random_state=seed, init="pca").fit_transform(
        embeddings[chosen])
    figure, axis = plt.subplots(figsize=(6, 6))
    axis.scatter(points[:, 0], points[:, 1], c=intents.frame["intent"].to_numpy()[chosen], cmap="tab20", s=6)
    axis.set_title(f"t-SNE of {len(chosen)} user embeddings, coloured by intent")
    axis.set_xticks([])
    axis.set_yticks([])
    figure.tight_layout()
    return _save_png(figure, path)


def analyze(checkpoint: str | Path, out: str | Path, truth: str | Path | None = None, max_points: int = 2000,
            top: int = 10) -> dict[str, Any]:
    """Write every analysis output for ``checkpoint`` into ``out``; returns the summary."""
    out = Path(out)
    trained = load_trained(checkpoint)
    intents = user_intents(trained)
    frame = intents.frame
    k = trained.model.cluster_centres.shape[0]
    table = frame[["user_id", "intent", "distance"]]
    atomic_write_text(out / "intents.csv", table.to_csv(index=False))
    atomic_write(out / "intents.parquet", lambda handle: table.to_parquet(handle, index=False))
    sizes = pd.DataFrame({"intent": np.arange(k), "users": np.bincount(frame["intent"].to_numpy(), minlength=k)})
    atomic_write_text(out / "cluster_sizes.csv", sizes.to_csv(index=False))
    top_items = top_items_per_intent(trained, intents, top)
    atomic_write_text(out / "top_items.csv", top_items.to_csv(index=False))
    atomic_write_text(out / "top_items.md", _top_items_markdown(top_items))
    plot_cluster_sizes(frame, k, out / "cluster_sizes.png")
    plot_tsne(intents, out / "tsne.png", max_points)
    summary = {"checkpoint": str(checkpoint), "users": len(frame), **centre_health(trained.model.cluster_centres,
                                                                                  frame["intent"].to_numpy())}
    if truth:
        summary.update(quality_against_truth(frame, truth))
    atomic_write_json(out / "summary.json", summary)
    return summary


def _top_items_markdown(top_items: pd.DataFrame) -> str:
    lines = ["| intent | top items (count) |", "|---|---|"]
    for intent, group in top_items.groupby("intent"):
        lines.append(f"| {intent} | " + ", ".join(f"{row.item_id} ({row.count})" for row in group.itertuples()) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recbole_elcrec.analyze", description=__doc__)
    parser.add_argument("--checkpoint", required=True, help="a .pth written by run_recbole_elcrec.py")
    parser.add_argument("--out", default="results/intents", help="output folder")
    parser.add_argument("--truth", help="CSV user_id,intent of planted intents: adds NMI and ARI")
    parser.add_argument("--max-points", type=int, default=2000, help="users shown in the t-SNE plot")
    parser.add_argument("--top", type=int, default=10, help="top items listed per intent")
    args = parser.parse_args(argv)
    try:
        summary = analyze(args.checkpoint, args.out, args.truth, args.max_points, args.top)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print("\n".join(f"{key}: {value}" for key, value in summary.items()))
    print(f"outputs in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
