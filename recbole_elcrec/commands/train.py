"""``recbole-elcrec train`` (and ``run_recbole_elcrec.py``): train and evaluate any RecBole model or ELCRec."""

from __future__ import annotations

import argparse
from typing import Any

from recbole_elcrec.commands import command_entry, command_parser, overrides_help
from recbole_elcrec.config import ConfigError, parse_overrides
from recbole_elcrec.data.prepare import DataFormatError, DatasetNotFoundError
from recbole_elcrec.trainer.trainer import NonFiniteLossError
from recbole_elcrec.utils.registry import UnknownModelError

# what the commands report as "error: ..." with exit status 2 (the dispatcher's USER_ERRORS cover them all)
USER_ERRORS = (ConfigError, DataFormatError, DatasetNotFoundError, UnknownModelError, NonFiniteLossError,
               FileNotFoundError, ValueError)


def build_parser() -> argparse.ArgumentParser:
    parser = command_parser(
        "train",
        f"Train and evaluate ELCRec or any RecBole model under one protocol. {overrides_help()}",
    )
    parser.add_argument("--model", "-m", default="ELCRec", help="ELCRec or a RecBole model name (default ELCRec)")
    parser.add_argument("--dataset", "-d", default="ml-100k", help="dataset name (default ml-100k, built in)")
    parser.add_argument("--config_files", nargs="+", default=[], help="YAML files, later ones win")
    parser.add_argument("--seed", type=int, help="random seed")
    parser.add_argument("--resume", help="checkpoint (...-last.pth) of an interrupted run to continue")
    return parser


def summary_table(result: dict[str, Any]) -> str:
    """Valid and test metrics side by side, one row per metric."""
    valid, test = result["best_valid_result"], result["test_result"]
    metrics = list(dict.fromkeys([*valid, *test]))
    width = max([len("metric"), *map(len, metrics)])
    lines = [
        f"{result['model']} on {result['dataset']} (seed {result['seed']}, {result['train_seconds']:.1f} s training)",
        f"{'metric':<{width}}  {'valid':>8}  {'test':>8}",
        f"{'-' * width}  {'-' * 8}  {'-' * 8}",
    ]
    for metric in metrics:
        valid_value, test_value = valid.get(metric, float("nan")), test.get(metric, float("nan"))
        lines.append(f"{metric:<{width}}  {valid_value:>8.4f}  {test_value:>8.4f}")
    if result.get("checkpoint"):
        lines.append(f"checkpoint: {result['checkpoint']}")
        lines.append(f"results:    {result['results_file']}")
    return "\n".join(lines)


def run_overrides(args: argparse.Namespace, extra: list[str]) -> dict[str, Any]:
    """The config overrides of a run command: every ``--key=value`` plus ``--seed``."""
    overrides = parse_overrides(extra)
    if args.seed is not None:
        overrides["seed"] = args.seed
    return overrides


@command_entry("train")
def main(argv: list[str] | None = None) -> int:
    """Train, test and print the summary; 2 on bad input, 130 on Ctrl-C (naming the --resume command)."""
    args, extra = build_parser().parse_known_args(argv)
    overrides = run_overrides(args, extra)
    from recbole_elcrec.quick_start.run import run

    result = run(args.model, args.dataset, args.config_files, overrides, resume=args.resume)
    print(summary_table(result))
    return 0
