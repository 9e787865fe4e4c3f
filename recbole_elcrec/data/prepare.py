"""Offline dataset preparation: paper sequence files and interaction tables to RecBole atomic files."""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from itertools import chain
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from recbole_elcrec.utils.io import atomic_write, atomic_write_json, probe_writable

ICLREC_COMMIT = "4afb54a036ebbf4166ed5858122d89c0642251a7"
DEFAULT_BASE_URL = f"https://raw.githubusercontent.com/salesforce/ICLRec/{ICLREC_COMMIT}"
BASE_URL_ENV = "RECBOLE_ELCREC_DOWNLOAD_BASE"
DOWNLOAD_TIMEOUT_S = 10
CHUNK_BYTES = 1 << 20
INTER_CHUNK_ROWS = 1_000_000
MAX_ID_DIGITS = 18  # fits int64

# dataset name -> (file in the ICLRec repository's data/ folder, SHA-256)
BENCHMARKS: dict[str, tuple[str, str]] = {
    "amazon-beauty": ("Beauty.txt", "226cce9c3105299ca0db9615d7d3fb32b3175e90da43100ae352599f0f0107b8"),
    "amazon-sports-outdoors": (
        "Sports_and_Outdoors.txt",
        "2a095e0648872beb9982408958290f5d655db5be2911c3756b5446de9f0b8de2",
    ),
    "amazon-toys-games": (
        "Toys_and_Games.txt",
        "176c680c688d497598c4a89a03b402c0fe78d795e5db335c2e78dd5f2d778a3f",
    ),
    "yelp": ("Yelp.txt", "724b219106b81dd2349027da997334ddb6da9fe2f152ad6e0d97a93170f7caed"),
}
INTER_HEADER = "user_id:token\titem_id:token\ttimestamp:float"
INTER_COLUMNS = ["user", "item", "timestamp"]
COLUMN_ALIASES = {
    "user": ("user_id", "user", "userid", "uid"),
    "item": ("item_id", "item", "itemid", "iid"),
    "timestamp": ("timestamp", "time", "ts"),
}
SEQUENCE_EXPECTED = "expected 'user_id item_id item_id ...' with positive integer ids"


class DataFormatError(ValueError):
    """An input file does not have the expected format; the message names the file and line."""

    hint = "fix the file at the line named (or convert it with 'recbole-elcrec prepare', see its --help)"


class DatasetNotFoundError(FileNotFoundError):
    """The atomic files of a dataset are missing; the message gives the command that creates them."""


class DatasetExistsError(FileExistsError):
    """The dataset to write already exists; ``--force`` replaces it."""

    hint = "pass --force to replace it, or choose another --name or --out"


class DownloadError(RuntimeError):
    """A benchmark file could not be fetched or failed its checksum."""

    exit_status = 2
    hint = "check the network or the --base-url mirror, or fetch the file by hand as described above"


@dataclass
class PrepareReport:
    """Users, items and actions before and after preprocessing, and the file written."""

    name: str
    source: str
    source_sha256: str
    input_format: str
    inter_file: str
    before: dict[str, int]
    after: dict[str, int]
    min_count: int
    min_length: int
    kcore_rounds: int = 0
    dropped_short_users: int = 0
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- where atomic files live


def atomic_inter_path(data_path: str | Path, dataset: str) -> Path:
    """Where RecBole reads a dataset's interactions: ``data_path/dataset/dataset.inter``."""
    return Path(data_path) / dataset / f"{dataset}.inter"


def prepare_commands(data_path: str | Path, dataset: str) -> list[str]:
    """The prepare commands that create ``dataset`` under ``data_path``: from a local file, or a download."""
    source = BENCHMARKS[dataset][0] if dataset in BENCHMARKS else f"{dataset}.txt"
    prefix = "recbole-elcrec prepare"
    commands = [f"{prefix} --input /path/to/{source} --name {dataset} --out {data_path}"]
    if dataset in BENCHMARKS:
        commands.append(f"{prefix} --download {dataset} --out {data_path}")
    return commands


ATOMIC_TYPES = ("token", "token_seq", "float", "float_seq")


def check_inter_file(path: Path, required: Iterable[str] = ()) -> Path:
    """DataFormatError naming ``path`` unless it has a RecBole header (tab-separated ``name:type``
    columns, the ``required`` ones among them) and at least one interaction after it."""
    expected = (f"expected a RecBole header of tab-separated name:type columns (types {', '.join(ATOMIC_TYPES)}), "
                f"e.g. {INTER_HEADER!r}; 'recbole-elcrec prepare' writes one")
    try:
        with open(path, encoding="utf-8-sig") as handle:
            header = handle.readline().rstrip("\r\n")
            has_rows = any(line.strip() for line in handle)
    except (OSError, UnicodeDecodeError) as error:
        raise DataFormatError(f"{path}: cannot read the file ({error})") from None
    columns = header.split("\t")
    for column in columns:
        name, _, kind = column.partition(":")
        if kind not in ATOMIC_TYPES:
            what = "has no :type" if not kind else f"has the type {kind!r}"
            raise DataFormatError(f"{path}, line 1: column {column!r} {what}; {expected}")
    names = [column.partition(":")[0] for column in columns]
    missing = [name for name in required if name not in names]
    if missing:
        raise DataFormatError(f"{path}, line 1: no column {', '.join(map(repr, missing))} in the header "
                              f"{names} (the dataset config's load_col); {expected}")
    if not has_rows:
        raise DataFormatError(f"{path} has a header but no interactions; expected one line per interaction "
                              "after the header")
    return path


def require_atomic_files(data_path: str | Path, dataset: str, required: Iterable[str] | None = None) -> Path:
    """The ``.inter`` file of ``dataset``, or DatasetNotFoundError with the commands that create it.

    With ``required`` (column names) the file's header and rows are checked too (``check_inter_file``).
    """
    path = atomic_inter_path(data_path, dataset)
    if path.is_file():
        return path if required is None else check_inter_file(path, required)
    commands = "\n  ".join(prepare_commands(data_path, dataset))
    raise DatasetNotFoundError(
        f"dataset '{dataset}' has no atomic file: {path} is missing (data_path={data_path}). "
        f"Create it with:\n  {commands}\n"
        f"or point --data_path at the folder that holds {dataset}/{dataset}.inter."
    )


# ---------------------------------------------------------------- reading inputs


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise DataFormatError(f"{path}: file not found; expected an existing sequence file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise DataFormatError(f"{path}: cannot read the file ({error}); expected a UTF-8 text file") from None


def _is_positive_id(token: str) -> bool:
    return token.isascii() and token.isdigit() and len(token) <= MAX_ID_DIGITS and int(token) > 0


def _plainly_positive_ids(tokens: list[str]) -> bool:
    """Fast check for the common case: ASCII digits without a leading zero, short enough for int64."""
    joined = "".join(tokens)
    digits = joined.isascii() and joined.isdigit()
    return digits and max(map(len, tokens)) <= MAX_ID_DIGITS and min(tokens)[0] != "0"


def _bad_id_error(path: Path, line_no: int, line: str, tokens: list[str]) -> DataFormatError:
    token = next(token for token in tokens if not _is_positive_id(token))
    if token.isascii() and token.isdigit() and len(token) > MAX_ID_DIGITS:
        return DataFormatError(
            f"{path}, line {line_no}: id {token!r} has {len(token)} digits; ids may have at most {MAX_ID_DIGITS} "
            "digits (they must fit a 64-bit integer). Renumber the ids, or give the data as a CSV/TSV table, "
            "whose ids are kept as text"
        )
    return DataFormatError(
        f"{path}, line {line_no}: {token!r} is not a positive integer id in {line[:80]!r}; "
        f"{SEQUENCE_EXPECTED}"
    )


def _sequence_line_tokens(path: Path, line_no: int, line: str) -> list[str]:
    """The validated tokens of one line of a sequence file: a user id, then at least one item id."""
    tokens = line.split()
    if not tokens:
        raise DataFormatError(f"{path}, line {line_no}: empty line; {SEQUENCE_EXPECTED}")
    if not _plainly_positive_ids(tokens) and not all(map(_is_positive_id, tokens)):
        raise _bad_id_error(path, line_no, line, tokens)
    if len(tokens) < 2:
        raise DataFormatError(f"{path}, line {line_no}: user {tokens[0]} has no items; {SEQUENCE_EXPECTED}")
    return tokens


def read_sequence_file(path: str | Path) -> pd.DataFrame:
    """The paper's format, one user per line ``user item item ...`` in time order, validated.

    Returns one row per action: user, item, timestamp (1-based position in the sequence) and the
    line the action came from.
    """
    path = Path(path)
    first_line: dict[int, int] = {}
    lines_of_tokens: list[list[str]] = []
    for line_no, line in enumerate(_read_text(path).splitlines(), start=1):
        tokens = _sequence_line_tokens(path, line_no, line)
        user = int(tokens[0])
        if user in first_line:
            raise DataFormatError(
                f"{path}, line {line_no}: user {user} already appeared on line {first_line[user]}; "
                "expected one line per user"
            )
        first_line[user] = line_no
        lines_of_tokens.append(tokens)
    if not lines_of_tokens:
        raise DataFormatError(f"{path}: the file holds no sequences; {SEQUENCE_EXPECTED}")
    return _sequences_to_table(lines_of_tokens, np.fromiter(first_line.values(), dtype=np.int64))


def _sequences_to_table(lines_of_tokens: list[list[str]], line_numbers: np.ndarray) -> pd.DataFrame:
    lengths = np.fromiter((len(tokens) - 1 for tokens in lines_of_tokens), dtype=np.int64)
    users = np.fromiter((int(tokens[0]) for tokens in lines_of_tokens), dtype=np.int64)
    item_tokens = chain.from_iterable(tokens[1:] for tokens in lines_of_tokens)
    items = np.fromiter(map(int, item_tokens), dtype=np.int64)
    starts = np.cumsum(lengths) - lengths
    positions = np.arange(len(items), dtype=np.int64) - np.repeat(starts, lengths) + 1
    return pd.DataFrame({"user": np.repeat(users, lengths), "item": items, "timestamp": positions,
                         "line": np.repeat(line_numbers, lengths)})


def _match_header(header: list[str]) -> dict[str, int]:
    """Column index of every role (user, item, timestamp) whose name is in the header."""
    lowered = [name.split(":")[0].strip().lower() for name in header]  # RecBole headers carry ':type'
    found = {}
    for role, aliases in COLUMN_ALIASES.items():
        hits = [index for index, name in enumerate(lowered) if name in aliases]
        if hits:
            found[role] = hits[0]
    return found


def _column_positions(path: Path, header: list[str], columns: list[str] | None) -> tuple[list[int], bool]:
    """Indexes of the user, item and timestamp columns, and whether the first row is a header."""
    names = [name.split(":")[0].strip() for name in header]
    if columns:
        missing = [name for name in columns if name not in names]
        if missing:
            raise DataFormatError(f"{path}, line 1: missing column(s) {missing} in the header {names}")
        return [names.index(name) for name in columns], True
    found = _match_header(header)
    if len(found) == len(COLUMN_ALIASES):
        return [found[role] for role in INTER_COLUMNS], True
    if found:
        missing = [role for role in INTER_COLUMNS if role not in found]
        expected = "; ".join(f"{role}: one of {COLUMN_ALIASES[role]}" for role in missing)
        raise DataFormatError(
            f"{path}, line 1: the header {names} has no {' and no '.join(missing)} column; "
            f"expected {expected} (or name the columns with --columns user,item,timestamp)"
        )
    if len(header) < 3:
        raise DataFormatError(
            f"{path}, line 1: {len(header)} column(s) {names}; "
            "expected at least 3 columns: user, item, timestamp"
        )
    has_header = pd.isna(pd.to_numeric(pd.Series([header[2]]), errors="coerce")).all()
    return [0, 1, 2], bool(has_header)


def _as_numbers_and_dates(times: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Each timestamp read as a number and, separately, as an ISO date (NaN / NaT where it is not one)."""
    dates = pd.Series(pd.NaT, index=times.index, dtype="datetime64[ns, UTC]")
    for position, text in times.items():  # one by one: a whole-column parse fails on the first odd value
        dates[position] = pd.to_datetime(text, errors="coerce", format="ISO8601", utc=True)
    return pd.to_numeric(times, errors="coerce"), dates


def _table_to_seconds(times: pd.Series) -> pd.Series | None:
    """Timestamps as numbers: numeric text as is, ISO dates as Unix seconds, None if neither parses."""
    numeric = pd.to_numeric(times, errors="coerce")
    if not numeric.isna().any():
        return numeric
    dates = pd.to_datetime(times, errors="coerce", format="ISO8601", utc=True)
    if dates.isna().any():
        return None
    return (dates - pd.Timestamp(0, tz="UTC")).dt.total_seconds()


def _validate_table_cells(path: Path, table: pd.DataFrame) -> None:
    for role in ("user", "item"):
        bad = (table[role].str.strip() == "") | table[role].str.contains(r"[\t\r\n]", regex=True)
        if bad.any():
            row = table[bad].iloc[0]
            raise DataFormatError(
                f"{path}, line {row['line']}: {role} id {row[role]!r} is empty or holds a tab or line break; "
                f"expected a non-empty {role} id"
            )


def _numeric_timestamps(path: Path, table: pd.DataFrame) -> pd.Series:
    seconds = _table_to_seconds(table["timestamp"])
    if seconds is None:
        raise _bad_timestamp_error(path, table)
    return seconds


def _bad_timestamp_error(path: Path, table: pd.DataFrame) -> DataFormatError:
    """The first row whose timestamp is neither a number nor a date, else the first of the minority kind."""
    numbers, dates = _as_numbers_and_dates(table["timestamp"])
    neither = numbers.isna() & dates.isna()
    if neither.any():
        row, reason = table[neither.to_numpy()].iloc[0], "is not a number (nor an ISO date)"
    else:  # numbers and dates mixed: the first value of the kind that is not the first row's
        dated = bool(pd.isna(numbers.iloc[0]))  # the first row holds a date
        row = table[(numbers.notna() if dated else numbers.isna()).to_numpy()].iloc[0]
        reason = (f"is a number, but line {table['line'].iloc[0]} holds an ISO date" if dated
                  else f"is an ISO date, but line {table['line'].iloc[0]} holds a number")
    return DataFormatError(
        f"{path}, line {row['line']}: timestamp {row['timestamp']!r} {reason}; expected a numeric timestamp "
        "(or an ISO date) in every row"
    )


def read_interaction_table(path: str | Path, sep: str, columns: list[str] | None = None) -> pd.DataFrame:
    """A CSV/TSV of interactions as rows of user, item (strings), timestamp (number) and file line.

    The header may name the columns (user/user_id, item/item_id, timestamp/time/ts, RecBole
    ``name:type`` headers too); without a matching header the first three columns are used.
    Rows are in file order; see :func:`order_by_time`.
    """
    path = Path(path)
    kind = "TSV" if sep == "\t" else "CSV"
    try:
        raw = pd.read_csv(path, sep=sep, header=None, dtype=str, keep_default_na=False,
                          skip_blank_lines=False, encoding="utf-8-sig")
    except FileNotFoundError:
        raise DataFormatError(f"{path}: file not found; expected an existing {kind} file") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        raise DataFormatError(f"{path}: cannot read as {kind} ({str(error).strip()})") from None
    positions, has_header = _column_positions(path, raw.iloc[0].tolist(), columns)
    table = raw.iloc[:, positions].set_axis(INTER_COLUMNS, axis=1).assign(line=np.arange(1, len(raw) + 1))
    table = table.iloc[1:] if has_header else table
    if table.empty:
        raise DataFormatError(f"{path}: no interactions; expected rows of user, item, timestamp")
    _validate_table_cells(path, table)
    return table.assign(timestamp=_numeric_timestamps(path, table)).reset_index(drop=True)


def order_by_time(table: pd.DataFrame) -> pd.DataFrame:
    """Users in order of first appearance, each user's actions by time; ties keep file order."""
    user_codes, _ = pd.factorize(table["user"])
    order = np.lexsort((table["timestamp"].to_numpy(), user_codes))
    return table.iloc[order].reset_index(drop=True)


def detect_format(path: Path, declared: str) -> str:
    """``sequence``, ``csv`` or ``tsv``: declared, or from the file extension (sequence by default)."""
    if declared != "auto":
        return declared
    return {".csv": "csv", ".tsv": "tsv", ".inter": "tsv"}.get(path.suffix.lower(), "sequence")


def read_interactions(path: Path, input_format: str, columns: list[str] | None = None) -> pd.DataFrame:
    """Rows of user, item, timestamp and line, each user's actions in time order."""
    if input_format == "sequence":
        return read_sequence_file(path)
    return order_by_time(read_interaction_table(path, "," if input_format == "csv" else "\t", columns))


# ---------------------------------------------------------------- filtering


def count_table(table: pd.DataFrame) -> dict[str, int]:
    """Users, items and actions of an interaction table."""
    return {"users": int(table["user"].nunique()), "items": int(table["item"].nunique()),
            "actions": len(table)}


def kcore_filter(table: pd.DataFrame, min_count: int) -> tuple[pd.DataFrame, int]:
    """Keep users and items with at least ``min_count`` actions, repeated until stable.

    Returns the filtered table and the number of rounds that removed something.
    """
    rounds = 0
    while min_count > 0 and len(table):
        user_counts = table.groupby("user", sort=False)["item"].transform("size")
        item_counts = table.groupby("item", sort=False)["user"].transform("size")
        keep = (user_counts >= min_count) & (item_counts >= min_count)
        if keep.all():
            break
        table = table[keep.to_numpy()]
        rounds += 1
    return table, rounds


def drop_or_reject_short_users(
    table: pd.DataFrame, min_length: int, drop_short: bool, source: Path, after_kcore: bool = False
) -> tuple[pd.DataFrame, int]:
    """Users with fewer than ``min_length`` actions: dropped, or an error naming the first of them."""
    lengths = table.groupby("user", sort=False)["item"].transform("size").to_numpy()
    short = lengths < min_length
    if not short.any():
        return table, 0
    n_short = int(table.loc[short, "user"].nunique())
    if drop_short:
        return table[~short], n_short
    first = int(np.argmax(short))
    row = table.iloc[first]
    when = " after --min-count filtering" if after_kcore else ""
    raise DataFormatError(
        f"{source}, line {row['line']}: user {row['user']} has {lengths[first]} interaction(s){when}; "
        f"expected at least {min_length} for leave-one-out (train, valid, test). {n_short} user(s) in all "
        "are that short; pass --drop-short to drop them."
    )


# ---------------------------------------------------------------- writing


def _timestamps_for_writing(timestamps: pd.Series) -> pd.Series:
    """Integral timestamps as integers (no '.0', no rounding of millisecond clocks), others as floats."""
    values = timestamps.to_numpy()
    if values.dtype.kind in "iu":
        return timestamps
    if np.isfinite(values).all() and (np.abs(values) < 2**53).all() and (values == np.round(values)).all():
        return timestamps.astype(np.int64)
    return timestamps


def write_inter_file(table: pd.DataFrame, out_dir: str | Path, name: str) -> Path:
    """Write ``out_dir/name/name.inter`` (user, item, timestamp; RecBole atomic file) atomically."""
    columns = table[INTER_COLUMNS].assign(timestamp=_timestamps_for_writing(table["timestamp"]))

    def write(handle: IO[bytes]) -> None:
        handle.write((INTER_HEADER + "\n").encode("utf-8"))
        for start in range(0, len(columns), INTER_CHUNK_ROWS):
            chunk = columns.iloc[start:start + INTER_CHUNK_ROWS]
            text = chunk.to_csv(sep="\t", header=False, index=False, lineterminator="\n")
            handle.write(text.encode("utf-8"))

    return atomic_write(atomic_inter_path(out_dir, name), write)


def report_path(inter_file: Path) -> Path:
    """``NAME.prepare.json`` beside ``NAME.inter``."""
    return inter_file.with_suffix(".prepare.json")


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


def check_dataset_name(name: str) -> str:
    """``name`` if it can name a folder and a file under the data path, else ValueError."""
    if not name or name in (".", "..") or any(char in name for char in "/\\\t\n\r") or name != name.strip():
        raise ValueError(f"invalid dataset name {name!r}: expected a plain name such as amazon-beauty")
    return name


def check_output_dataset(out_dir: str | Path, name: str, force: bool = False) -> Path:
    """The ``.inter`` file about to be written, after checking it can be: before any input is read.

    DatasetExistsError when it exists (unless ``force``), OutputError when ``out_dir`` cannot be written
    (a file in the way, no permission); nothing is created here.
    """
    check_dataset_name(name)
    target = atomic_inter_path(out_dir, name)
    if target.exists() and not force:
        raise DatasetExistsError(f"{target} already exists (dataset '{name}' was prepared before); "
                                 "preparing again would replace it")
    probe_writable(target.parent, "--out folder")
    return target


def prepare_dataset(
    input_path: str | Path,
    name: str,
    out_dir: str | Path = "dataset",
    input_format: str = "auto",
    min_count: int = 0,
    min_length: int = 3,
    drop_short: bool = False,
    columns: list[str] | None = None,
    force: bool = False,
) -> PrepareReport:
    """Convert ``input_path`` into the RecBole atomic file ``out_dir/name/name.inter`` and its report.

    Raises DataFormatError (naming file and line) for malformed input, and for users shorter than
    ``min_length`` unless ``drop_short``; nothing is written then. An existing ``name.inter`` is
    replaced only with ``force`` (DatasetExistsError otherwise); an unwritable ``out_dir`` is found
    before the input is read.
    """
    check_output_dataset(out_dir, name, force)
    source = Path(input_path).expanduser()
    kind = detect_format(source, input_format)
    table = read_interactions(source, kind, columns)
    before = count_table(table)
    table, rounds = kcore_filter(table, min_count)
    table, dropped = drop_or_reject_short_users(table, min_length, drop_short, source, after_kcore=rounds > 0)
    if table.empty:
        raise DataFormatError(
            f"{source}: no interactions left after filtering (min_count={min_count}, min_length={min_length})"
        )
    inter_file = write_inter_file(table, out_dir, name)
    notes = [f"dropped {dropped} user(s) with fewer than {min_length} interactions"] if dropped else []
    report = PrepareReport(
        name=name, source=str(source), source_sha256=sha256_of(source), input_format=kind,
        inter_file=str(inter_file), before=before, after=count_table(table), min_count=min_count,
        min_length=min_length, kcore_rounds=rounds, dropped_short_users=dropped, notes=notes,
    )
    atomic_write_json(report_path(inter_file), asdict(report))
    return report


# ---------------------------------------------------------------- download


def benchmark_url(name: str, base_url: str | None = None) -> str:
    """URL of a benchmark file: ``--base-url``, else $RECBOLE_ELCREC_DOWNLOAD_BASE, else the pinned ICLRec."""
    base = (base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL).rstrip("/")
    return f"{base}/data/{BENCHMARKS[name][0]}"


def _by_hand_message(url: str, name: str, out_dir: str | Path) -> str:
    return (
        f"Fetch the file by hand from {url} on a machine with internet access, copy it here, then run:\n"
        f"  recbole-elcrec prepare --input /path/to/{BENCHMARKS[name][0]} --name {name} --out {out_dir}"
    )


def _fetch_to(url: str, handle: IO[bytes]) -> str:
    """Stream ``url`` into ``handle``; its SHA-256."""
    digest = hashlib.sha256()
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
        while chunk := response.read(CHUNK_BYTES):
            digest.update(chunk)
            handle.write(chunk)
    return digest.hexdigest()


def download_verified(url: str, target: Path, expected: str, by_hand: str) -> Path:
    """``url`` saved as ``target``, kept only when its SHA-256 is ``expected``; a valid ``target`` is reused.

    A failed or mismatching download leaves nothing behind; ``by_hand`` says what to do without network.
    """
    if target.is_file() and sha256_of(target) == expected:
        return target
    with tempfile.TemporaryFile() as scratch:
        try:
            actual = _fetch_to(url, scratch)
        except (urllib.error.URLError, http.client.HTTPException, OSError) as error:
            reason = error if isinstance(error, urllib.error.HTTPError) else getattr(error, "reason", error)
            raise DownloadError(f"cannot download {url} ({reason}). {by_hand}") from None
        if actual != expected:
            raise DownloadError(
                f"{url}: SHA-256 mismatch, expected {expected}, got {actual}; the file was not kept"
            )
        scratch.seek(0)
        return atomic_write(target, lambda handle: shutil.copyfileobj(scratch, handle, CHUNK_BYTES))


def download_benchmark(name: str, out_dir: str | Path, base_url: str | None = None) -> Path:
    """The paper's file for benchmark ``name`` in ``out_dir/raw/``, fetched and SHA-256 verified.

    A file already there with the right hash is reused without network. A failed or mismatching
    download leaves nothing under ``out_dir``.
    """
    if name not in BENCHMARKS:
        raise DownloadError(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    file_name, expected = BENCHMARKS[name]
    url = benchmark_url(name, base_url)
    return download_verified(url, Path(out_dir) / "raw" / file_name, expected, _by_hand_message(url, name, out_dir))


def format_report(report: PrepareReport) -> str:
    """Users, items and actions before and after, as a small table."""
    rows = [f"{report.name}: {report.source} -> {report.inter_file}",
            f"{'':8}{'users':>10}{'items':>10}{'actions':>12}"]
    for label, counts in (("before", report.before), ("after", report.after)):
        rows.append(f"{label:8}{counts['users']:>10}{counts['items']:>10}{counts['actions']:>12}")
    if report.kcore_rounds:
        rows.append(f"{report.min_count}-core filter: {report.kcore_rounds} round(s)")
    rows.extend(report.notes)
    rows.append(f"report: {report_path(Path(report.inter_file))}")
    return "\n".join(rows)
