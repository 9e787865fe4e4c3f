"""``recbole-elcrec analyze``: intent analysis of a checkpoint, written to a folder."""

from __future__ import annotations

import argparse

from recbole_elcrec.commands import add_checkpoint_options, command_entry, command_parser, positive_int
from recbole_elcrec.quick_start.analyze import analyze
from recbole_elcrec.utils.io import ensure_writable_dir

MIN_TSNE_POINTS = 5  # t-SNE's perplexity needs a few more points than 1


def _tsne_points(text: str) -> int:
    value = positive_int(text)
    if value < MIN_TSNE_POINTS:
        raise argparse.ArgumentTypeError(f"expected at least {MIN_TSNE_POINTS} users for the t-SNE plot, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The ``recbole-elcrec analyze`` command line."""
    parser = command_parser(
        "analyze",
        "Intent analysis of a trained model: per-user intents, cluster sizes, t-SNE, top items, "
        "and NMI/ARI against planted intents (--truth). The checkpoint's dataset files must still be at its data_path.",
    )
    add_checkpoint_options(parser)
    parser.add_argument("--out", default="results/intents", help="output folder (default: results/intents)")
    parser.add_argument("--truth", help="CSV user_id,intent of planted intents (NAME.intents.csv): adds NMI and ARI")
    parser.add_argument("--max-points", type=_tsne_points, default=2000, help="users shown in the t-SNE plot (>= 5)")
    parser.add_argument("--top", type=positive_int, default=10, help="top items listed per intent")
    return parser


@command_entry("analyze")
def main(argv: list[str] | None = None) -> int:
    """Write every analysis output and print the summary; 2 for a missing file or a model without intents."""
    args = build_parser().parse_args(argv)
    ensure_writable_dir(args.out, "--out folder")  # before the model and its data are rebuilt
    summary = analyze(args.checkpoint, args.out, args.truth, args.max_points, args.top, args.device)
    print("\n".join(f"{key}: {value}" for key, value in summary.items()))
    print(f"outputs in {args.out}")
    return 0
