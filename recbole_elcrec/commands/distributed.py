"""``recbole-elcrec distributed``: data-parallel (DDP) training with several processes."""

from __future__ import annotations

import argparse

from recbole_elcrec.commands import PROG, command_entry, overrides_help, positive_int
from recbole_elcrec.commands.train import build_parser as build_train_parser
from recbole_elcrec.commands.train import run_overrides, summary_table
from recbole_elcrec.quick_start.distributed import launch


def build_parser() -> argparse.ArgumentParser:
    """``recbole-elcrec distributed``: the train command line plus --nproc, --backend, --port."""
    parser = build_train_parser()
    parser.prog = f"{PROG} distributed"
    parser.description = ("Data-parallel training (DDP) over several processes on the device-resident loader: gloo "
                          f"on CPU, nccl with one GPU per process. {overrides_help()}")
    parser.add_argument("--nproc", type=positive_int, default=2, help="processes (one per GPU under nccl; default 2)")
    parser.add_argument("--backend", choices=("gloo", "nccl"), help="default nccl with CUDA, else gloo")
    parser.add_argument("--port", type=int, help="rendezvous port on 127.0.0.1 (default: a free one)")
    return parser


@command_entry("distributed")
def main(argv: list[str] | None = None) -> int:
    """Train on every rank and print rank 0's results; 1 when the replicas differ, 2 on a user error."""
    args, extra = build_parser().parse_known_args(argv)
    overrides = run_overrides(args, extra)
    results = launch(args.model, args.dataset, args.config_files, overrides, args.nproc, args.backend,
                     args.port, args.resume)
    print(summary_table(results[0]))
    print(f"{len(results)} ranks ({results[0]['backend']}); replicas identical: {results[0]['replicas_identical']}")
    return 0 if results[0]["replicas_identical"] else 1
