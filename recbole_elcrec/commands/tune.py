"""``recbole-elcrec tune``: Ray Tune search over alpha, k or any config key, with ASHA early stopping."""

from __future__ import annotations

import argparse
from pathlib import Path

from recbole_elcrec.commands import command_entry, command_parser, overrides_help, positive_int
from recbole_elcrec.config import check_keys, parse_overrides
from recbole_elcrec.quick_start.tune import VALID_SCORE, parse_search_space, run_search


def build_parser() -> argparse.ArgumentParser:
    """The ``recbole-elcrec tune`` command line; unknown ``--key=value`` arguments fix a setting for every trial."""
    parser = command_parser(
        "tune",
        "Ray Tune search over ELCRec's alpha and k (or any config key), locally or on an existing Ray "
        f"cluster, with ASHA stopping weak trials early. {overrides_help('trial')}",
    )
    parser.add_argument("--model", default="ELCRec", help="ELCRec or a RecBole model name (default ELCRec)")
    parser.add_argument("--dataset", default="ml-100k", help="dataset name (default ml-100k)")
    parser.add_argument("--config_files", nargs="+", default=[], help="YAML files, later ones win")
    parser.add_argument("--alpha", help="alpha values or distribution, e.g. 0.01,0.1,1,10,100")
    parser.add_argument("--k", help="number of intents n_clusters, e.g. 32,64,128,256,512")
    parser.add_argument("--search", action="append", default=[], help="KEY=SPEC for any other config key")
    parser.add_argument("--num-samples", type=positive_int, default=1, help="samples per grid point (random search)")
    parser.add_argument("--cpus-per-trial", type=float, default=1.0, help="CPUs per trial (default 1)")
    parser.add_argument("--gpus-per-trial", type=float, default=0.0, help="fractional GPUs allowed, e.g. 0.25")
    parser.add_argument("--address", help="join an existing Ray cluster: auto or HOST:PORT")
    parser.add_argument("--num-cpus", type=int, help="CPUs of the local Ray (default: all)")
    parser.add_argument("--grace-period", type=int,
                        help="ASHA: results (epochs) before a trial may be stopped; default 5, or epochs + 1 if fewer")
    parser.add_argument("--out", default="results/tune",
                        help="results folder; a rerun with the same settings resumes from it")
    parser.add_argument("--force", action="store_true",
                        help="start a new search even though OUT holds one with other settings "
                             "(the old experiment is kept as NAME.replaced-<time>)")
    parser.add_argument("--name", help="experiment name (default MODEL-DATASET)")
    return parser


@command_entry("tune")
def main(argv: list[str] | None = None) -> int:
    """Run (or resume) the search and print the best trial; 2 for a bad search space or key, before Ray starts."""
    args, extra = build_parser().parse_known_args(argv)
    dimensions = parse_search_space(args.alpha, args.k, args.search)
    overrides = parse_overrides(extra)
    check_keys(overrides, "the command line / overrides")
    best = run_search(args, dimensions, overrides)
    print(f"best configuration: {best['config']}  valid {best[VALID_SCORE]:.4f}  test {best['test']}")
    print(f"reports: {Path(args.out).resolve()}/trials.md, trials.csv, best.json, sensitivity_*.png")
    return 0
