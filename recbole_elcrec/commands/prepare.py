"""``recbole-elcrec prepare``: convert a paper sequence file or an interaction table into RecBole atomic files."""

from __future__ import annotations

import argparse

from recbole_elcrec.commands import command_entry, command_parser
from recbole_elcrec.data.attributes import (
    ATTRIBUTE_FILES,
    download_attributes,
    read_item_attributes,
    write_item_file,
)
from recbole_elcrec.data.prepare import (
    BASE_URL_ENV,
    BENCHMARKS,
    DEFAULT_BASE_URL,
    check_dataset_name,
    check_output_dataset,
    download_benchmark,
    format_report,
    prepare_dataset,
)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {text}")
    return value


def _non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected an integer >= 0, got {text}")
    return value


def _three_columns(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",")]
    if len(names) != 3 or not all(names):
        raise argparse.ArgumentTypeError(f"expected three names user,item,timestamp, got {text!r}")
    return names


def _dataset_name(text: str) -> str:
    try:
        return check_dataset_name(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    """The ``recbole-elcrec prepare`` command line."""
    parser = command_parser(
        "prepare",
        "Convert the paper's sequence files (user item item ..., one user per line) or an interaction "
        "table (CSV/TSV of user, item, timestamp) into the RecBole atomic file OUT/NAME/NAME.inter, offline; "
        "or --download a paper benchmark file first (SHA-256 verified).",
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", help="sequence file (user item item ...) or CSV/TSV (user, item, time)")
    source.add_argument("--download", choices=list(BENCHMARKS), help="fetch the paper's preprocessed file")
    parser.add_argument("--name", type=_dataset_name, help="dataset name (default: the --download name)")
    parser.add_argument("--out", default="dataset", help="data path to write NAME/NAME.inter into")
    parser.add_argument("--format", default="auto", choices=["auto", "sequence", "csv", "tsv"],
                        help="input format; auto: .csv csv, .tsv/.inter tsv, else sequence")
    parser.add_argument("--columns", type=_three_columns, help="user,item,timestamp column names of a table")
    parser.add_argument("--min-count", type=_non_negative_int, default=0,
                        help="k-core filter on users and items, repeated until stable (0: off)")
    parser.add_argument("--min-length", type=_positive_int, default=3,
                        help="minimum interactions per user (3: leave-one-out train/valid/test)")
    parser.add_argument("--drop-short", action="store_true",
                        help="drop users below --min-length instead of failing")
    parser.add_argument("--attributes", metavar="FILE|download",
                        help="item attributes for S3Rec: an item2attributes JSON of the public S3Rec release (item id "
                             "-> attribute ids), written as OUT/NAME/NAME.item; 'download' fetches it (SHA-256 "
                             f"verified) for {', '.join(ATTRIBUTE_FILES)}")
    parser.add_argument("--force", action="store_true",
                        help="replace OUT/NAME/NAME.inter if it exists (without it an existing dataset stops here)")
    parser.add_argument("--base-url",
                        help=f"download mirror (default: ${BASE_URL_ENV}, else {DEFAULT_BASE_URL})")
    return parser


@command_entry("prepare")
def main(argv: list[str] | None = None) -> int:
    """Run the command line; 0 on success, 2 on bad input or a failed download (message on stderr)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.input and not args.name:
        parser.error("--name is required with --input")
    check_output_dataset(args.out, args.name or args.download, args.force)  # before any download
    source = download_benchmark(args.download, args.out, args.base_url) if args.download else args.input
    name = args.name or args.download
    attribute_file = download_attributes(name, args.out) if args.attributes == "download" else args.attributes
    attributes = read_item_attributes(attribute_file) if attribute_file else None  # checked before writing
    report = prepare_dataset(source, name, args.out, args.format, args.min_count,
                             args.min_length, args.drop_short, args.columns, force=args.force)
    print(format_report(report))
    if attributes:
        item_file = write_item_file(attributes, args.out, name)
        print(f"attributes of {len(attributes)} items from {attribute_file} -> {item_file}")
    return 0
