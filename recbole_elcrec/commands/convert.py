"""``recbole-elcrec convert``: a checkpoint of the authors' ELCRec code as a checkpoint of this package."""

from __future__ import annotations

import argparse

from recbole_elcrec.commands import command_entry, command_parser
from recbole_elcrec.quick_start.convert import convert_authors_checkpoint


def build_parser() -> argparse.ArgumentParser:
    """The ``recbole-elcrec convert`` command line."""
    parser = command_parser(
        "convert",
        "Convert a model trained by the authors' ELCRec code (a .pt state_dict) into a checkpoint of this "
        "package for evaluate, analyze and recommend. Layers, sizes and k are read from the file, the number "
        "of heads from the run's log beside it (NAME.txt or NAME.log) or --n_heads; item rows are mapped "
        "through the dataset's item ids, so prepare the dataset from the sequence file the model was trained on.",
    )
    parser.add_argument("--from-authors", required=True, dest="source", metavar="PATH",
                        help="the .pt file the authors' code saved (e.g. output/ELCRec-Beauty-1.pt)")
    parser.add_argument("--dataset", required=True, help="dataset name, e.g. amazon-beauty")
    parser.add_argument("--data_path", help="folder holding DATASET/DATASET.inter (default: the config's, dataset/)")
    parser.add_argument("--out", required=True, help="the checkpoint to write (.pth)")
    parser.add_argument("--n_heads", type=int, help="attention heads, when the run's log is not beside the file")
    return parser


@command_entry("convert")
def main(argv: list[str] | None = None) -> int:
    """Write the converted checkpoint; 2 for a file that is not such a checkpoint or does not fit the dataset."""
    args = build_parser().parse_args(argv)
    written = convert_authors_checkpoint(args.source, args.dataset, args.out, args.data_path, args.n_heads)
    print(f"wrote {written}: ELCRec on {args.dataset}; evaluate it with\n"
          f"  recbole-elcrec evaluate --checkpoint {written}")
    return 0
