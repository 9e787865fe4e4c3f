"""``recbole-elcrec compare``: models head to head under one protocol (Table 1), or the ablation (Figure 4)."""

from __future__ import annotations

import argparse
from pathlib import Path

from recbole_elcrec.commands import command_entry, command_parser, overrides_help
from recbole_elcrec.config import check_keys, parse_overrides
from recbole_elcrec.quick_start.compare import (
    PAPER_MODELS,
    ablation_rows,
    model_rows,
    run_grid,
    seed_list,
    write_comparison,
)
from recbole_elcrec.utils.io import ensure_writable_dir


def build_parser() -> argparse.ArgumentParser:
    """The command line; unknown ``--key=value`` arguments are config overrides."""
    parser = command_parser(
        "compare",
        "Head-to-head comparison under one protocol: the paper's Table 1, timing tables and Figure 4 "
        "ablation. Each finished run's record is kept as OUT/<dataset>/<protocol>/<model>-<loss>-seed<k>.json, "
        "so a rerun resumes, and OUT/tables.md is rebuilt from every record under OUT. "
        f"{overrides_help('run')}",
    )
    parser.add_argument("--dataset", default="ml-100k", help="dataset name (default ml-100k)")
    parser.add_argument("--models", default=PAPER_MODELS, help=f"comma-separated (default {PAPER_MODELS})")
    parser.add_argument("--seeds", type=int, default=3, help="number of seeds (2020, 2021, ...)")
    parser.add_argument("--config_files", nargs="+", default=[], help="YAML files, later ones win")
    parser.add_argument("--ablation", action="store_true", help="the paper's Figure 4 rows of ELCRec instead")
    parser.add_argument("--out", default="results", help="results root (default results/)")
    parser.add_argument("--tables", metavar="ROOT", help="only rebuild ROOT/tables.md from the records under ROOT "
                        "(no training)")
    parser.add_argument("--force", action="store_true",
                        help="train again the finished runs under OUT whose settings differ or whose file is "
                             "unreadable (without it such runs stop the command, naming the keys that differ)")
    return parser


@command_entry("compare")
def main(argv: list[str] | None = None) -> int:
    """Run the comparison (or ``--ablation``) and write its tables; returns the exit status (2 on bad input)."""
    args, extra = build_parser().parse_known_args(argv)
    if args.tables:
        return print_tables(Path(args.tables))
    out = Path(args.out)
    seeds = seed_list(args.seeds)
    overrides = parse_overrides(extra)
    check_keys(overrides, "the command line / overrides")
    if args.ablation:
        rows = ablation_rows()
    else:
        rows = model_rows([model.strip() for model in args.models.split(",") if model.strip()])
        if not rows:
            raise ValueError(f"no model to run in --models {args.models!r}")
    ensure_writable_dir(out, "--out folder")  # before the first run trains
    run_grid(rows, args.dataset, seeds, args.config_files, overrides, out, force=args.force)
    return print_tables(out)


def print_tables(root: Path) -> int:
    """Write ``root/tables.md`` from the run records under ``root`` alone, and print it."""
    written = write_comparison(root)
    print(written.read_text())
    print(f"tables in {written}")
    return 0
