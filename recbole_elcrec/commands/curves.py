"""``recbole-elcrec curves``: plot a run's training curves (loss terms, validation score, live intents) as a PNG."""

from __future__ import annotations

import argparse
from pathlib import Path

from recbole_elcrec.commands import command_entry, command_parser
from recbole_elcrec.evaluation.curves import labelled_runs, plot_curves, plot_validation_overlay, read_history


def build_parser() -> argparse.ArgumentParser:
    """The ``recbole-elcrec curves`` command line."""
    parser = command_parser(
        "curves",
        "Training curves of a run (every loss term, the validation score and any live-intent count "
        "per epoch) as a PNG, from its results JSON or any of its checkpoints.",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", help="a .pth written by the run (best or -last)")
    source.add_argument("--results", help="the run's results .json (written beside the checkpoint)")
    source.add_argument("--overlay", nargs="+", metavar="LABEL=PATH",
                        help="several runs (results JSON, compare record or checkpoint each): their validation "
                             "scores on one chart, e.g. --overlay CE=a.json BCE=b-last.pth (needs --out)")
    parser.add_argument("--title", default="", help="chart title (--overlay)")
    parser.add_argument("--out", help="PNG to write (default: beside the input, NAME-curves.png)")
    return parser


@command_entry("curves")
def main(argv: list[str] | None = None) -> int:
    """Plot the curves; 2 when the file is missing, unreadable or holds no history."""
    args = build_parser().parse_args(argv)
    if args.overlay:
        if not args.out:
            raise ValueError("--overlay needs --out (the PNG to write)")
        histories = {label: read_history(path) for label, path in labelled_runs(args.overlay).items()}
        print(f"wrote {plot_validation_overlay(histories, args.out, args.title)}")
        return 0
    run_file = Path(args.checkpoint or args.results)
    out = args.out or str(run_file.with_suffix("")) + "-curves.png"
    path = plot_curves(read_history(run_file), out, run_file.stem)
    print(f"wrote {path}")
    return 0
