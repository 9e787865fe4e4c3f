"""Clustering cost as users grow: ELCRec's per-batch cluster loss vs ICLRec's full-data k-means per epoch.

Run: python benchmarks/bench_scale.py --users 10000,100000,1000000 --items 10000,100000 --out results/bench_scale
CPU smoke: python benchmarks/bench_scale.py --users 10000,30000 --quick --out /tmp/bench_scale
Behaviour embeddings are the mean of item vectors over each user's sequence of planted-intent data.
ELCRec's clustering step (cluster loss, Eq. 3, + nearest centre, Eq. 5, forward and backward on one
batch) is timed on the device; ICLRec's E-step k-means (faiss) runs over every user's embedding.
The encoder passes are not measured: ICLRec's E-step also needs one extra pass over all sequences.
Prints a Markdown table and writes it with a JSON report and a PNG plot to --out.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
from datetime import datetime, timezone
from pathlib import Path
from time import perf_counter
from typing import Any

import faiss
import numpy as np
import pandas as pd
import torch
from scipy import sparse

from recbole_elcrec.data.synthetic import generate_planted_intents
from recbole_elcrec.evaluation.report import markdown_table, pyplot
from recbole_elcrec.model.kmeans import kmeans
from recbole_elcrec.model.losses import cluster_loss, nearest_centre
from recbole_elcrec.utils.hardware import device_name, peak_memory_bytes, reset_peak_memory
from recbole_elcrec.utils.io import atomic_write_json, atomic_write_text

FLOAT_BYTES = 4


def planted_embeddings(n_users: int, n_items: int, n_intents: int, dim: int, seed: int) -> np.ndarray:
    """``[n_users, dim]`` float32 behaviour embeddings: mean item vector of each planted-intent sequence.

    Item vectors are their intent's direction plus noise, so the embeddings cluster by intent.
    """
    planted = generate_planted_intents(n_users, n_items, n_intents, seed=seed)
    rng = np.random.default_rng(seed)
    directions = rng.standard_normal((n_intents, dim)).astype(np.float32)
    item_intent = planted.intent_of_item(np.arange(1, n_items + 1))
    item_vectors = directions[item_intent] + 0.5 * rng.standard_normal((n_items, dim)).astype(np.float32)
    counts = sparse.csr_matrix((np.ones(len(planted.item_ids), dtype=np.float32),
                                (planted.user_ids - 1, planted.item_ids - 1)), shape=(n_users, n_items))
    lengths = np.asarray(counts.sum(axis=1), dtype=np.float32)
    return np.asarray(counts @ item_vectors, dtype=np.float32) / lengths


def elcrec_step_seconds(embeddings: np.ndarray, n_clusters: int, batch_size: int, steps: int,
                        device: torch.device, seed: int) -> tuple[float, int | None]:
    """Median seconds of one ELCRec clustering step (forward + backward) and its peak device bytes (CUDA only)."""
    generator = np.random.default_rng(seed)
    centres = torch.nn.Parameter(torch.randn(n_clusters, embeddings.shape[1], device=device))
    batches = [torch.from_numpy(embeddings[generator.integers(0, len(embeddings), batch_size)]) for _ in range(steps)]
    one_step(batches[0].to(device), centres)  # warm-up
    reset_peak_memory(device)
    times = [timed_step(batch, centres, device) for batch in batches]
    return statistics.median(times), peak_memory_bytes(device)[0] if device.type == "cuda" else None


def timed_step(batch: torch.Tensor, centres: torch.nn.Parameter, device: torch.device) -> float:
    """Seconds of one step, the host-to-device copy of the batch included."""
    start = perf_counter()
    one_step(batch.to(device), centres)
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return perf_counter() - start


def one_step(batch: torch.Tensor, centres: torch.nn.Parameter) -> torch.Tensor:
    """Cluster loss and nearest centre of one batch, with the backward pass into the batch and the centres."""
    batch.requires_grad_(True)
    loss = cluster_loss(batch, centres)
    loss.backward()
    centres.grad = None
    return nearest_centre(batch, centres)


def kmeans_epoch_seconds(embeddings: np.ndarray, n_clusters: int, n_iter: int, seed: int) -> float:
    """Seconds of ICLRec's per-epoch E-step k-means over every user's embedding."""
    start = perf_counter()
    kmeans(embeddings, n_clusters, n_iter=n_iter, seed=seed)
    return perf_counter() - start


def working_set_bytes(n_users: int, n_clusters: int, dim: int, batch_size: int) -> dict[str, int]:
    """Floats each method must hold for its clustering: a batch and the centres, or every user's embedding."""
    return {
        "ELCRec step working set MB": FLOAT_BYTES * 2 * (batch_size * dim + n_clusters * dim + batch_size * n_clusters),
        "ICLRec k-means working set MB": FLOAT_BYTES * (n_users * dim + n_clusters * dim) + 8 * n_users,
    }


def elcrec_row(n_users: int, n_items: int, args: argparse.Namespace, device: torch.device) -> dict[str, Any]:
    """ELCRec's clustering cost on one planted data set."""
    embeddings = planted_embeddings(n_users, n_items, args.intents, args.dim, args.seed)
    step, step_peak = elcrec_step_seconds(embeddings, args.clusters, args.batch_size, args.steps, device, args.seed)
    return {"users": n_users, "items": n_items, "ELCRec step ms": 1000 * step,
            "ELCRec clustering per epoch s": step * math.ceil(n_users / args.batch_size),
            "ELCRec step peak CUDA MB": None if step_peak is None else step_peak / 2**20}


def iclrec_row(n_users: int, n_items: int, args: argparse.Namespace) -> dict[str, Any]:
    """ICLRec's E-step cost on the same data set, the working sets of both, and the process peak RSS so far."""
    embeddings = planted_embeddings(n_users, n_items, args.intents, args.dim, args.seed)
    estep = kmeans_epoch_seconds(embeddings, args.clusters, args.kmeans_iters, args.seed)
    memory = {name: size / 2**20 for name, size in
              working_set_bytes(n_users, args.clusters, args.dim, args.batch_size).items()}
    return {"ICLRec k-means per epoch s": estep, **memory, "process peak RSS MB": peak_memory_bytes("cpu")[0] / 2**20}


def measure(args: argparse.Namespace, device: torch.device) -> list[dict[str, Any]]:
    """Every size: all ELCRec steps first, then all k-means runs (faiss's busy OpenMP threads would slow the steps)."""
    sizes = [(n_users, n_items) for n_items in args.items for n_users in args.users]
    steps = [elcrec_row(n_users, n_items, args, device) for n_users, n_items in sizes]
    kmeans(np.random.default_rng(0).standard_normal((4 * args.clusters, args.dim)), args.clusters, n_iter=1)  # warm-up
    return [{**step, **iclrec_row(*size, args)} for step, size in zip(steps, sizes, strict=True)]


def plot(frame: pd.DataFrame, path: Path) -> Path:
    """Seconds and working-set memory against users (log-log), one line per method and item count."""
    plt = pyplot()
    figure, (time_axis, memory_axis) = plt.subplots(1, 2, figsize=(11, 4))
    for n_items, rows in frame.groupby("items"):
        time_axis.plot(rows["users"], rows["ELCRec step ms"] / 1000, "o-", label=f"ELCRec, one step ({n_items} items)")
        time_axis.plot(rows["users"], rows["ELCRec clustering per epoch s"], "s--",
                       label=f"ELCRec, steps x one epoch ({n_items} items)")
        time_axis.plot(rows["users"], rows["ICLRec k-means per epoch s"], "^-",
                       label=f"ICLRec k-means, one epoch ({n_items} items)")
        memory_axis.plot(rows["users"], rows["ELCRec step working set MB"], "o-", label=f"ELCRec ({n_items} items)")
        memory_axis.plot(rows["users"], rows["ICLRec k-means working set MB"], "^-", label=f"ICLRec ({n_items} items)")
    for axis, label in ((time_axis, "seconds"), (memory_axis, "working set (MB)")):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("users")
        axis.set_ylabel(label)
        axis.legend(fontsize=7)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def int_list(text: str) -> list[int]:
    return [int(float(value)) for value in text.split(",")]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int_list, default=[10**4, 10**5, 10**6], help="comma-separated, e.g. 1e4,1e5")
    parser.add_argument("--items", type=int_list, default=[10**4, 10**5])
    parser.add_argument("--intents", type=int, default=64, help="planted intents of the synthetic data")
    parser.add_argument("--clusters", type=int, default=256, help="k for both methods")
    parser.add_argument("--dim", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--steps", type=int, default=50, help="timed ELCRec steps per size")
    parser.add_argument("--kmeans-iters", type=int, default=20, help="Lloyd iterations of the E-step (ICLRec: 20)")
    parser.add_argument("--quick", action="store_true", help="first item count only, 10 steps, 5 k-means iterations")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--threads", type=int, help="torch and faiss CPU threads (default: their choice)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--out", default="results/bench_scale")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.quick:
        args.items, args.steps, args.kmeans_iters = args.items[:1], 10, 5
    if args.threads:
        torch.set_num_threads(args.threads)
        faiss.omp_set_num_threads(args.threads)
    device = torch.device(args.device)
    rows = measure(args, device)
    frame = pd.DataFrame(rows)
    out = Path(args.out)
    report = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), "device": device_name(device),
              "kmeans": "faiss (CPU)", "torch": torch.__version__, "python": platform.python_version(),
              "settings": {key: value for key, value in vars(args).items() if key != "out"}, "rows": rows}
    heading = (f"# Clustering cost vs users: ELCRec step vs ICLRec k-means\n\n{report['date']}, ELCRec step on "
               f"{report['device']}, k-means: faiss on the CPU, k={args.clusters}, d={args.dim}, "
               f"batch {args.batch_size}, {args.kmeans_iters} k-means iterations\n\n")
    table = markdown_table(frame)
    atomic_write_json(out / "bench_scale.json", report)
    atomic_write_text(out / "bench_scale.md", heading + table)
    plot(frame, out / "bench_scale.png")
    print(heading + table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
