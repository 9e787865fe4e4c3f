"""Intent analysis of a trained model: per-user intents, cluster sizes, t-SNE, top items, quality vs planted truth.

``trained`` is a restored run (``recbole_elcrec.quick_start.restore.Trained``): its model, config, dataset and
training data.
"""

from __future__ import annotations

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

from recbole_elcrec.data.histories import sequence_batch, training_histories
from recbole_elcrec.evaluation.report import pyplot, save_figure
from recbole_elcrec.model.adaptive import duplicate_centres
from recbole_elcrec.model.losses import nearest_centre
from recbole_elcrec.utils.io import atomic_write, atomic_write_text

DUPLICATE_COSINE = 0.99
CENTRE_ATTRIBUTES = ("cluster_centres", "intent_centroids")  # ELCRec's learnable centres, ICLRec's k-means


@dataclass
class UserIntents:
    """Per-user intents (``frame``: user_id, intent, distance) with the unit embeddings and histories."""

    frame: pd.DataFrame
    embeddings: np.ndarray  # [users, d], unit length
    histories: list[list[int]]  # internal item ids of each row's training sequence


def intent_centres(model: torch.nn.Module) -> torch.Tensor:
    """``[k, d]`` intent centres of ``model`` (ELCRec's ``cluster_centres`` or ICLRec's ``intent_centroids``)."""
    for name in CENTRE_ATTRIBUTES:
        if hasattr(model, name) and hasattr(model, "sequence_embeddings"):
            return getattr(model, name).detach()
    raise ValueError(f"model {type(model).__name__} learns no intents; analyze needs ELCRec (or ICLRec)")


def live_centre_mask(model: torch.nn.Module, k: int) -> torch.Tensor:
    """``[k]`` centres in use: all of them unless adaptive pruning switched some off."""
    active = getattr(model, "active_centres", None)
    return active.detach().cpu().bool() if active is not None else torch.ones(k, dtype=torch.bool)


@torch.no_grad()
def assign_embeddings(model: torch.nn.Module, embeddings: torch.Tensor, centres: torch.Tensor) -> torch.Tensor:
    """``[B]`` nearest (cosine) live centre of each embedding, Eq. 5."""
    if hasattr(model, "assign_intents"):
        return model.assign_intents(embeddings)
    return nearest_centre(embeddings, centres)


@torch.no_grad()
def user_intents(trained: Any, batch_size: int = 1024) -> UserIntents:
    """One row per training user: original id, intent (nearest centre) and ``1 - cosine`` to that centre.

    Each user's embedding is computed from their whole training sequence (the last
    ``MAX_ITEM_LIST_LENGTH`` items of it, as the model sees it).
    """
    centres = intent_centres(trained.model)
    unit_centres = F.normalize(centres, dim=-1)
    histories = training_histories(trained)
    users = list(histories)
    intents, distances, embeddings = [], [], []
    for start in tqdm(range(0, len(users), batch_size), desc="Embedding users", ncols=100):
        batch = sequence_batch(trained, [histories[user] for user in users[start : start + batch_size]])
        unit = F.normalize(trained.model.sequence_embeddings(batch), dim=-1)
        assignment = assign_embeddings(trained.model, unit, centres)
        intents.append(assignment.cpu())
        distances.append((1 - (unit * unit_centres[assignment]).sum(-1)).clamp(min=0).cpu())
        embeddings.append(unit.cpu())
    tokens = trained.dataset.id2token(trained.config["USER_ID_FIELD"], np.array(users))
    frame = pd.DataFrame({"user_id": tokens, "intent": torch.cat(intents).numpy(),
                          "distance": torch.cat(distances).numpy()})
    return UserIntents(frame, torch.cat(embeddings).numpy(), [histories[user] for user in users])


def cluster_sizes(frame: pd.DataFrame, k: int) -> np.ndarray:
    """``[k]`` number of users per intent."""
    return np.bincount(frame["intent"].to_numpy(), minlength=k)


def centre_health(centres: torch.Tensor, live: torch.Tensor, sizes: np.ndarray) -> dict[str, int]:
    """Counts of centres: all, live, used by a user, dead (live but empty), duplicates, pruned.

    A duplicate is a live centre whose cosine to an earlier live centre exceeds ``DUPLICATE_COSINE``.
    """
    live = live.cpu()
    used = torch.from_numpy(sizes > 0)
    duplicates = duplicate_centres(centres.detach().cpu(), live, DUPLICATE_COSINE)
    return {"centres": len(live), "live_centres": int(live.sum()), "active_centres": int((used & live).sum()),
            "dead_centres": int((live & ~used).sum()), "duplicate_centres": int(duplicates.sum()),
            "pruned_centres": int((~live).sum())}


def top_items_per_intent(trained: Any, intents: UserIntents, top: int = 10) -> pd.DataFrame:
    """The ``top`` most frequent items (original ids, counts) in the training sequences of each intent's users."""
    item_field = trained.config["ITEM_ID_FIELD"]
    rows = []
    for intent, indices in sorted(intents.frame.groupby("intent").indices.items()):
        counts = Counter(item for index in indices for item in intents.histories[index])
        for rank, (item, count) in enumerate(counts.most_common(top), start=1):
            rows.append({"intent": int(intent), "rank": rank, "item_id": trained.dataset.id2token(item_field, item),
                         "count": count})
    return pd.DataFrame(rows, columns=["intent", "rank", "item_id", "count"])


def top_items_markdown(top_items: pd.DataFrame, sizes: np.ndarray) -> str:
    """A Markdown table: one line per intent with its size and its top items ``id (count)``."""
    lines = ["| intent | users | top items (count) |", "|---:|---:|---|"]
    for intent, group in top_items.groupby("intent"):
        items = ", ".join(f"{row.item_id} ({row.count})" for row in group.itertuples())
        lines.append(f"| {intent} | {sizes[intent]} | {items} |")
    return "\n".join(lines) + "\n"


def quality_against_truth(frame: pd.DataFrame, truth_csv: str | Path) -> dict[str, float]:
    """NMI and ARI (sklearn) between learned intents and planted ones read from a ``user_id,intent`` CSV."""
    truth = pd.read_csv(truth_csv, dtype={"user_id": str})
    missing = {"user_id", "intent"} - set(truth.columns)
    if missing:
        raise ValueError(f"{truth_csv}: missing column(s) {', '.join(sorted(missing))}; expected user_id,intent")
    merged = frame.merge(truth[["user_id", "intent"]], on="user_id", suffixes=("", "_true"))
    if merged.empty:
        raise ValueError(f"{truth_csv}: no user id in common with the model's dataset")
    return {"nmi": float(normalized_mutual_info_score(merged["intent_true"], merged["intent"])),
            "ari": float(adjusted_rand_score(merged["intent_true"], merged["intent"])),
            "users_matched": len(merged)}


def plot_cluster_sizes(sizes: np.ndarray, path: str | Path) -> Path:
    """Bar histogram of users per intent (dead centres show as empty bars)."""
    figure, axis = pyplot().subplots(figsize=(7, 3.5))
    axis.bar(np.arange(len(sizes)), sizes, width=1.0)
    axis.set_xlabel("intent (centre index)")
    axis.set_ylabel("users")
    axis.set_title(f"Users per intent ({int((sizes == 0).sum())} of {len(sizes)} centres empty)")
    figure.tight_layout()
    return save_figure(figure, path)


def tsne_points(embeddings: np.ndarray, seed: int = 0) -> np.ndarray:
    """``[n, 2]`` t-SNE of ``embeddings`` (perplexity scaled down for small n)."""
    from sklearn.manifold import TSNE

    perplexity = float(min(30.0, max(1.0, (len(embeddings) - 1) / 3)))
    return TSNE(n_components=2, perplexity=perplexity, random_state=seed, init="pca").fit_transform(embeddings)


def plot_tsne(intents: UserIntents, path: str | Path, max_points: int = 2000, seed: int = 0) -> Path:
    """2-D t-SNE of user embeddings coloured by intent (paper Figure 7), on at most ``max_points`` users."""
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(intents.embeddings), size=min(max_points, len(intents.embeddings)),
                                replace=False))
    points = tsne_points(intents.embeddings[chosen], seed)
    figure, axis = pyplot().subplots(figsize=(6, 6))
    axis.scatter(points[:, 0], points[:, 1], c=intents.frame["intent"].to_numpy()[chosen], cmap="tab20", s=6)
    axis.set_title(f"t-SNE of {len(chosen)} user embeddings, coloured by intent")
    axis.set_xticks([])
    axis.set_yticks([])
    figure.tight_layout()
    return save_figure(figure, path)


def write_intent_tables(intents: UserIntents, sizes: np.ndarray, top_items: pd.DataFrame, out: Path) -> None:
    """``intents.csv``/``.parquet``, ``cluster_sizes.csv`` and ``top_items.csv``/``.md`` in ``out``."""
    table = intents.frame[["user_id", "intent", "distance"]]
    atomic_write_text(out / "intents.csv", table.to_csv(index=False))
    atomic_write(out / "intents.parquet", lambda handle: table.to_parquet(handle, index=False))
    sizes_table = pd.DataFrame({"intent": np.arange(len(sizes)), "users": sizes})
    atomic_write_text(out / "cluster_sizes.csv", sizes_table.to_csv(index=False))
    atomic_write_text(out / "top_items.csv", top_items.to_csv(index=False))
    atomic_write_text(out / "top_items.md", top_items_markdown(top_items, sizes))

