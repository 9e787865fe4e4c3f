"""``recbole-elcrec evaluate``: validation and test metrics of a checkpoint, without training."""

from __future__ import annotations

import argparse
import json

from recbole_elcrec.commands import add_checkpoint_options, command_entry, command_parser
from recbole_elcrec.evaluation.protocol import PROTOCOLS
from recbole_elcrec.quick_start.evaluate import evaluate_checkpoint


def build_parser() -> argparse.ArgumentParser:
    """The ``recbole-elcrec evaluate`` command line."""
    parser = command_parser(
        "evaluate",
        "Evaluate a checkpoint of this package (from train, or from convert) on validation and test with "
        "RecBole's full-ranking evaluator, without training. The checkpoint's dataset files must still be at "
        "its data_path.",
    )
    add_checkpoint_options(parser, "train or convert")
    parser.add_argument("--protocol", choices=list(PROTOCOLS),
                        help="; ".join(f"{name}: {text}" for name, text in PROTOCOLS.items())
                        + " (default: the run's eval_protocol)")
    parser.add_argument("--json", action="store_true",
                        help='print only {"valid": {...}, "test": {...}, "protocol": ...} as JSON on stdout')
    return parser


def metrics_table(result: dict) -> str:
    """Valid and test metrics side by side, headed by the model, dataset and protocol."""
    metrics = list(result["test"])
    width = max(len("metric"), *map(len, metrics))
    lines = [f"{result['model']} on {result['dataset']}, protocol '{result['protocol']}' "
             f"({PROTOCOLS[result['protocol']]})", f"{'metric':<{width}}  {'valid':>8}  {'test':>8}"]
    lines += [f"{name:<{width}}  {result['valid'][name]:>8.4f}  {result['test'][name]:>8.4f}" for name in metrics]
    return "\n".join(lines)


@command_entry("evaluate")
def main(argv: list[str] | None = None) -> int:
    """Print the metrics (a table, or JSON with ``--json``); 2 for a missing or unreadable checkpoint."""
    args = build_parser().parse_args(argv)
    result = evaluate_checkpoint(args.checkpoint, args.protocol, args.device)
    if args.json:
        print(json.dumps({key: result[key] for key in ("valid", "test", "protocol")}))
    else:
        print(metrics_table(result))
    return 0
