"""The CPU operations profiling pointed at, each against its alternative: CE, dropout, attention.

Run: python benchmarks/bench_ops.py [--threads 1] [--out results/bench/ops.md]
Best of 3 repeats of 10 forward+backward calls each, milliseconds per call, at the sizes of an ELCRec
training step on Beauty (1,500 predicted positions, 12,102 items, 768 sequences of 12 slots, hidden 64).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from recbole_elcrec.model.encoder import MaskDropout
from recbole_elcrec.model.losses import full_cross_entropy
from recbole_elcrec.utils.io import atomic_write_text

POSITIONS, ITEMS, HIDDEN, SEQUENCES, SLOTS, HEADS = 1500, 12102, 64, 768, 12, 2


def milliseconds(step: Callable[[], torch.Tensor], calls: int = 10) -> float:
    """Best of three: mean wall milliseconds of ``step().backward()``."""
    step().backward()
    best = math.inf
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(calls):
            step().backward()
        best = min(best, (time.perf_counter() - start) / calls)
    return best * 1000


def cross_entropy_pair() -> tuple[Callable, Callable]:
    hidden = torch.randn(POSITIONS, HIDDEN, requires_grad=True)
    weight = torch.randn(ITEMS, HIDDEN, requires_grad=True)
    targets = torch.randint(1, ITEMS, (POSITIONS,))
    return (lambda: F.cross_entropy(hidden @ weight.T, targets)), (lambda: full_cross_entropy(hidden, weight, targets))


def dropout_pair() -> tuple[Callable, Callable]:
    x = torch.randn(SEQUENCES, SLOTS * 3, HIDDEN, requires_grad=True)
    plain, mask = torch.nn.Dropout(0.5), MaskDropout(0.5)
    return (lambda: plain(x).sum()), (lambda: mask(x).sum())


def attention_pair() -> tuple[Callable, Callable]:
    x = torch.randn(SEQUENCES, SLOTS, HIDDEN, requires_grad=True)
    allowed = torch.tril(torch.ones(SLOTS, SLOTS, dtype=torch.bool))
    additive = torch.where(allowed, 0.0, -10000.0)
    head = HIDDEN // HEADS

    def split(t: torch.Tensor) -> torch.Tensor:
        return t.view(SEQUENCES, SLOTS, HEADS, head).transpose(1, 2)  # [B, L, H] -> [B, heads, L, H / heads]

    def manual() -> torch.Tensor:
        scores = split(x) @ split(x).transpose(-1, -2) / math.sqrt(head) + additive
        return (F.dropout(scores.softmax(-1), 0.5) @ split(x)).sum()

    def fused() -> torch.Tensor:
        return F.scaled_dot_product_attention(split(x), split(x), split(x), attn_mask=additive, dropout_p=0.5).sum()

    return manual, fused


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--out", default="results/bench/ops.md")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = ["| operation | A | ms | B | ms | used |", "|---|---|---|---|---|---|"]
    for name, first, second, used, (a, b) in (
            ("CE over all items", "F.cross_entropy", "32-row chunks", "B", cross_entropy_pair()),
            ("dropout", "nn.Dropout", "MaskDropout", "B", dropout_pair()),
            ("attention", "RecBole's (manual)", "scaled_dot_product_attention", "A", attention_pair())):
        rows.append(f"| {name} | {first} | {milliseconds(a):.1f} | {second} | {milliseconds(b):.1f} | {used} |")
    text = f"torch {torch.__version__}, {args.threads} thread(s)\n\n" + "\n".join(rows) + "\n"
    atomic_write_text(Path(args.out), text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
