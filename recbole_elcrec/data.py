"""Offline dataset preparation: paper sequence files and interaction tables to RecBole atomic files."""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from recbole_elcrec.io import atomic_write, atomic_write_json

ICLREC_COMMIT = "4afb54a036ebbf4166ed5858122d89c0642251a7"
DEFAULT_BASE_URL = f"https://raw.githubusercontent.com/salesforce/ICLRec/{ICLREC_COMMIT}"
BASE_URL_ENV = "RECBOLE_ELCREC_DOWNLOAD_BASE"
DOWNLOAD_TIMEOUT_S = 10

# dataset name -> (file in the ICLRec repository's data/ folder, SHA-256)
BENCHMARKS: dict[str, tuple[str, str]] = {
    "amazon-beauty": ("Beauty.txt", "226cce9c3105299ca0db9615d7d3fb32b3175e90da43100ae352599f0f0107b8"),
    "amazon-sports-outdoors": (
        "Sports_and_Outdoors.txt", "2a095e0648872beb9982408958290f5d655db5be2911c3756b5446de9f0b8de2"),
    "amazon-toys-games": ("Toys_and_Games.txt", "176c680c688d497598c4a89a03b402c0fe78d795e5db335c2e78dd5f2d778a3f"),
    "yelp": ("Yelp.txt", "724b219106b81dd2349027da997334ddb6da9fe2f152ad6e0d97a93170f7caed"),
}
INTER_HEADER = "user_id:token\titem_id:token\ttimestamp:float"
COLUMN_ALIASES = {"user": ("user_id", "user", "userid", "uid"), "item": ("item_id", "item", "itemid", "iid"),
                  "timestamp": ("timestamp", "time", "ts", "datetime")}


class DataFormatError(ValueError):
    """An input file does not have the expected format; the message names the file and line."""


class DatasetNotFoundError(FileNotFoundError):
    """The atomic files of a dataset are missing; the message gives the command that creates them."""


class DownloadError(RuntimeError):
    """A benchmark file could not be fetched or failed its checksum."""


@dataclass
class PrepareReport:
    """Users, items and actions before and after preprocessing, and the file written."""

    name: str
    source: str
    inter_file: str
    before: dict[str, int]
    after: dict[str, int]
    dropped_short_users: int = 0
    kcore_rounds: int = 0
    notes: list[str] = field(default_factory=list)


def atomic_inter_path(data_path: str | Path, dataset: str) -> Path:
    """Where RecBole reads a dataset's interactions: ``data_path/dataset/dataset.inter``."""
    return Path(data_path) / dataset / f"{dataset}.inter"


def prepare_commands(data_path: str | Path, dataset: str) -> list[str]:
    """The prepare commands that create ``dataset`` under ``data_path``."""
    source = BENCHMARKS.get(dataset, ("interactions.csv", ""))[0]
    commands = [f"python -m recbole_elcrec.data prepare --input /path/to/{source} --name {dataset} --out {data_path}"]
    if dataset in BENCHMARKS:
        commands.append(f"python -m recbole_elcrec.data prepare --download {dataset} --out {data_path}")
    return commands


def require_atomic_files(data_path: str | Path, dataset: str) -> Path:
    """The ``.inter`` file of ``dataset``, or DatasetNotFoundError with the command that creates it."""
    path = atomic_inter_path(data_path, dataset)
    if path.is_file():
        return path
    commands = "\n  ".join(prepare_commands(data_path, dataset))
    raise DatasetNotFoundError(
        f"dataset '{dataset}' has no atomic file: {path} is missing (data_path={data_path}). "
        f"Create it with:\n  {commands}\nor point --data_path at the folder that holds {dataset}/{dataset}.inter."
    )


def _parse_id(token: str, path: Path, line_no: int, line: str) -> int:
    try:
        value = int(token)
    except ValueError:
        value = 0
    if value <= 0 or not token.isdigit():
        raise DataFormatError(
            f"{path}, line {line_no}: {token!r} is not a positive integer id in {line[:80]!r}; "
            "expected 'user_id item_id item_id ...' with positive integer ids"
        )
    return value


def read_sequence_file(path: str | Path) -> tuple[dict[int, list[int]], dict[int, int]]:
    """The paper's format, one user per line ``user item item ...`` in time order, validated.

    Returns the sequences and the line number of every user.
    """
    path = Path(path)
    sequences: dict[int, list[int]] = {}
    first_line: dict[int, int] = {}
    for line_no, line in enumerate(_read_lines(path), start=1):
        tokens = line.split()
        if not tokens:
            raise DataFormatError(f"{path}, line {line_no}: empty line; expected 'user_id item_id item_id ...'")
        user = _parse_id(tokens[0], path, line_no, line)
        if user in sequences:
            raise DataFormatError(
                f"{path}, line {line_no}: user {user} already appeared on line {first_line[user]}; "
                "expected one line per user"
            )
        if len(tokens) < 2:
            raise DataFormatError(f"{path}, line {line_no}: user {user} has no items; expected 'user_id item_id ...'")
        sequences[user] = [_parse_id(token, path, line_no, line) for token in tokens[1:]]
        first_line[user] = line_no
    if not sequences:
        raise DataFormatError(f"{path}: the file holds no sequences")
    return sequences, first_line


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise DataFormatError(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DataFormatError(f"{path}: cannot read the file ({error})") from None


def _find_column(columns: list[str], role: str, path: Path) -> str:
    lowered = {column.lower(): column for column in columns}
    for alias in COLUMN_ALIASES[role]:
        if alias in lowered:
            return lowered[alias]
    raise DataFormatError(
        f"{path}: no {role} column among {columns}; expected one of {COLUMN_ALIASES[role]} "
        "(or name them with --columns user,item,timestamp)"
    )


def read_interaction_table(path: str | Path, sep: str, columns: list[str] | None = None) -> pd.DataFrame:
    """A CSV/TSV of interactions as ``user, item, timestamp`` (strings, strings, floats)."""
    path = Path(path)
    try:
        frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise DataFormatError(f"{path}: file not found") from None
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise DataFormatError(f"{path}: cannot parse as {'TSV' if sep == chr(9) else 'CSV'} ({error})") from None
    frame.columns = [column.split(":")[0] for column in frame.columns]  # RecBole headers carry ':type'
    names = columns or [_find_column(list(frame.columns), role, path) for role in ("user", "item", "timestamp")]
    missing = [name for name in names if name not in frame.columns]
    if missing:
        raise DataFormatError(f"{path}: missing column(s) {missing}; the file has {list(frame.columns)}")
    table = frame[names].set_axis(["user", "item", "timestamp"], axis=1)
    times = pd.to_numeric(table["timestamp"], errors="coerce")
    if times.isna().any():
        bad = int(times.isna().to_numpy().argmax())
        raise DataFormatError(
            f"{path}, line {bad + 2}: timestamp {table['timestamp'].iloc[bad]!r} is not a number; "
            "expected a numeric timestamp"
        )
    return table.assign(timestamp=times)


def kcore_filter(table: pd.DataFrame, min_count: int) -> tuple[pd.DataFrame, int]:
    """Keep users and items with at least ``min_count`` interactions, repeated until stable; returns rounds."""
    rounds = 0
    while min_count > 0:
        user_counts = table["user"].map(table["user"].value_counts())
        item_counts = table["item"].map(table["item"].value_counts())
        keep = (user_counts >= min_count) & (item_counts >= min_count)
        if keep.all():
            break
        table = table[keep]
        rounds += 1
    return table, rounds


def _counts(table: pd.DataFrame) -> dict[str, int]:
    return {"users": int(table["user"].nunique()), "items": int(table["item"].nunique()), "actions": len(table)}


def sequences_to_table(sequences: dict[int, list[int]]) -> pd.DataFrame:
    """One row per interaction with the position in the sequence as order-preserving timestamp."""
    rows = [(user, item, position) for user, items in sequences.items() for position, item in enumerate(items, 1)]
    return pd.DataFrame(rows, columns=["user", "item", "timestamp"]).astype({"user": str, "item": str})


def _drop_or_reject_short(
    table: pd.DataFrame, min_length: int, drop_short: bool, source: Path, line_of_user: dict[str, int]
) -> tuple[pd.DataFrame, int]:
    """Users with fewer than ``min_length`` interactions: dropped, or an error naming the first of them."""
    lengths = table.groupby("user", sort=False)["item"].transform("size")
    short = lengths < min_length
    if not short.any():
        return table, 0
    short_users = table.loc[short, "user"].unique()
    if not drop_short:
        example = short_users[0]
        where = f", line {line_of_user[example]}" if example in line_of_user else ""
        raise DataFormatError(
            f"{source}{where}: user {example} has {int(lengths[short].iloc[0])} interaction(s) "
            f"({len(short_users)} user(s) in all have fewer than {min_length}); leave-one-out needs at least "
            f"{min_length} (train, valid, test). Pass --drop-short to drop them."
        )
    return table[~short], len(short_users)


def write_inter_file(table: pd.DataFrame, out_dir: str | Path, name: str) -> Path:
    """Write ``out_dir/name/name.inter`` (user, item, timestamp) atomically."""
    path = atomic_inter_path(out_dir, name)
    body = table[["user", "item", "timestamp"]].to_csv(sep="\t", header=False, index=False, float_format="%.10g")
    return atomic_write(path, lambda handle: handle.write((INTER_HEADER + "\n" + body).encode("utf-8")))


def detect_format(path: Path, declared: str) -> str:
    """``sequence``, ``csv`` or ``tsv``: declared, or from the file extension."""
    if declared != "auto":
        return declared
    suffix = path.suffix.lower()
    if suffix in (".csv",):
        return "csv"
    if suffix in (".tsv", ".inter"):
        return "tsv"
    return "sequence"


def prepare_dataset(
    input_path: str | Path,
    name: str,
    out_dir: str | Path = "dataset",
    input_format: str = "auto",
    min_count: int = 0,
    min_length: int = 3,
    drop_short: bool = False,
    columns: list[str] | None = None,
) -> PrepareReport:
    """Convert ``input_path`` into RecBole atomic files for dataset ``name`` under ``out_dir``."""
    source = Path(input_path)
    kind = detect_format(source, input_format)
    line_of_user: dict[str, int] = {}
    if kind == "sequence":
        sequences, first_line = read_sequence_file(source)
        table = sequences_to_table(sequences)
        line_of_user = {str(user): line for user, line in first_line.items()}
    else:
        table = read_interaction_table(source, "," if kind == "csv" else "\t", columns)
        table = table.sort_values(["user", "timestamp"], kind="stable")
    before = _counts(table)
    table, rounds = kcore_filter(table, min_count)
    table, dropped = _drop_or_reject_short(table, min_length, drop_short, source, line_of_user)
    if table.empty:
        raise DataFormatError(f"{source}: no interactions left after filtering (min_count={min_count})")
    inter_file = write_inter_file(table, out_dir, name)
    report = PrepareReport(name=name, source=str(source), inter_file=str(inter_file), before=before,
                           after=_counts(table), dropped_short_users=dropped, kcore_rounds=rounds)
    atomic_write_json(inter_file.with_suffix(".prepare.json"), asdict(report))
    return report


def download_benchmark(name: str, dest_dir: str | Path, base_url: str | None = None) -> Path:
    """Fetch a paper benchmark file at the pinned ICLRec commit into ``dest_dir`` and verify its SHA-256."""
    if name not in BENCHMARKS:
        raise DownloadError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    file_name, expected = BENCHMARKS[name]
    base = (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
    url = f"{base}/data/{file_name}"
    try:
        with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
            content = response.read()
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise DownloadError(
            f"cannot download {url} ({getattr(error, 'reason', error)}). Fetch the file by hand from that URL "
            f"(any machine with internet access), then run:\n  python -m recbole_elcrec.data prepare "
            f"--input /path/to/{file_name} --name {name} --out DIR"
        ) from None
    actual = hashlib.sha256(content).hexdigest()
    if actual != expected:
        raise DownloadError(f"{url}: SHA-256 {actual} does not match the expected {expected}; the file was not kept")
    return atomic_write(Path(dest_dir) / file_name, lambda handle: handle.write(content))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m recbole_elcrec.data", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    prepare = commands.add_parser("prepare", help="convert a sequence file or interaction table to atomic files")
    source = prepare.add_mutually_exclusive_group(required=True)
    source.add_argument("--input", help="sequence file (user item item ...) or CSV/TSV of user,item,timestamp")
    source.add_argument("--download", choices=sorted(BENCHMARKS), help="fetch the paper's preprocessed file")
    prepare.add_argument("--name", help="dataset name (default: the --download name)")
    prepare.add_argument("--out", default="dataset", help="data_path to write NAME/NAME.inter into (default dataset)")
    prepare.add_argument("--format", default="auto", choices=["auto", "sequence", "csv", "tsv"])
    prepare.add_argument("--columns", help="user,item,timestamp column names of a CSV/TSV")
    prepare.add_argument("--min-count", type=int, default=0, help="k-core filter on users and items (0: off)")
    prepare.add_argument("--min-length", type=int, default=3, help="minimum interactions per user (leave-one-out)")
    prepare.add_argument("--drop-short", action="store_true", help="drop users below --min-length instead of failing")
    prepare.add_argument("--base-url", help=f"download mirror (default {DEFAULT_BASE_URL}, env {BASE_URL_ENV})")
    return parser


def _run_prepare(args: argparse.Namespace) -> PrepareReport:
    name = args.name or args.download
    if not name:
        raise DataFormatError("--name is required with --input")
    input_path = args.input
    if args.download:
        input_path = download_benchmark(args.download, Path(args.out) / "raw", args.base_url)
    columns = args.columns.split(",") if args.columns else None
    return prepare_dataset(input_path, name, args.out, args.format, args.min_count, args.min_length,
                           args.drop_short, columns)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        report = _run_prepare(args)
    except (DataFormatError, DownloadError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps({"before": report.before, "after": report.after}, indent=2))
    print(f"wrote {report.inter_file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
