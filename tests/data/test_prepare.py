"""Dataset preparation: conversion, k-core filtering, bad input, missing datasets and the download."""

from __future__ import annotations

import errno
import hashlib
import http.server
import json
import re
import socket
import threading
from pathlib import Path

import pandas as pd
import pytest

from recbole_elcrec.commands.prepare import main
from recbole_elcrec.commands.train import main as train_main
from recbole_elcrec.data.prepare import (
    BENCHMARKS,
    DataFormatError,
    DatasetNotFoundError,
    DownloadError,
    benchmark_url,
    download_benchmark,
    kcore_filter,
    prepare_dataset,
    require_atomic_files,
)

SHARED_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"
HEADER = "user_id:token\titem_id:token\ttimestamp:float"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def inter_rows(path: str | Path) -> list[list[str]]:
    lines = Path(path).read_text().splitlines()
    assert lines[0] == HEADER
    return [line.split("\t") for line in lines[1:]]


def pairs(table: pd.DataFrame) -> list[tuple[str, str]]:
    return sorted(zip(table["user"], table["item"], strict=True))


def prepare(*args: str | Path) -> int:
    """``recbole-elcrec prepare ARGS``, in process."""
    return main([*map(str, args)])


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_sequence_file_becomes_time_ordered_atomic_file(tmp_path):
    source = write(tmp_path / "seq.txt", "1 5 3 9\n2 3 3 4 7\n")
    report = prepare_dataset(source, "toy", tmp_path / "out")
    assert Path(report.inter_file) == tmp_path / "out" / "toy" / "toy.inter"
    assert Path(report.inter_file).read_text() == (
        f"{HEADER}\n1\t5\t1\n1\t3\t2\n1\t9\t3\n2\t3\t1\n2\t3\t2\n2\t4\t3\n2\t7\t4\n"
    )
    assert report.before == report.after == {"users": 2, "items": 5, "actions": 7}
    saved = json.loads((tmp_path / "out" / "toy" / "toy.prepare.json").read_text())
    assert saved["after"] == report.after
    assert saved["source_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()


def test_cli_converts_and_prints_the_counts(tmp_path, capsys):
    source = write(tmp_path / "seq.txt", "7 1 2 3\n3 2 3 4\n")
    assert prepare("--input", source, "--name", "toy", "--out", tmp_path) == 0
    out = capsys.readouterr().out
    assert "before" in out and "after" in out and "toy.prepare.json" in out
    assert [row[0] for row in inter_rows(tmp_path / "toy" / "toy.inter")] == ["7"] * 3 + ["3"] * 3


def test_input_needs_a_name(tmp_path):
    source = write(tmp_path / "seq.txt", "1 1 2 3\n")
    with pytest.raises(SystemExit) as raised:
        prepare("--input", source, "--out", tmp_path)
    assert raised.value.code == 2


def test_csv_is_sorted_by_time_within_user_and_keeps_real_timestamps(tmp_path):
    source = write(tmp_path / "events.csv", "user,item,timestamp\n"
                   "b,x,1600000000300\na,y,20\nb,y,1600000000100\na,x,5\na,z,7\nb,z,1600000000200\na,w,7\n")
    report = prepare_dataset(source, "shop", tmp_path)
    assert inter_rows(report.inter_file) == [
        ["b", "y", "1600000000100"], ["b", "z", "1600000000200"], ["b", "x", "1600000000300"],
        ["a", "x", "5"], ["a", "z", "7"], ["a", "w", "7"], ["a", "y", "20"],
    ]
    assert report.after == {"users": 2, "items": 4, "actions": 7}


def test_fractional_timestamps_are_kept(tmp_path):
    source = write(tmp_path / "events.csv", "user,item,time\n1,1,2.5\n1,2,1.25\n1,3,3\n")
    assert inter_rows(prepare_dataset(source, "shop", tmp_path).inter_file) == [
        ["1", "2", "1.25"], ["1", "1", "2.5"], ["1", "3", "3.0"]]


@pytest.mark.parametrize(("text", "extra"), [
    ("u,i,t,rating\n1,10,3,5\n1,11,1,5\n1,12,2,5\n", {}),  # a header of unknown names: first three columns
    ("1,10,3\n1,11,1\n1,12,2\n", {}),  # no header
    ("rating,i,u,t\n5,10,1,3\n5,11,1,1\n5,12,1,2\n", {"columns": ["u", "i", "t"]}),
    ("ts,item_id,user_id\n3,10,1\n1,11,1\n2,12,1\n", {}),  # named columns in any order
])
def test_table_columns_by_header_position_or_option(tmp_path, text, extra):
    source = write(tmp_path / "events.csv", text)
    report = prepare_dataset(source, "shop", tmp_path, **extra)
    assert inter_rows(report.inter_file) == [["1", "11", "1"], ["1", "12", "2"], ["1", "10", "3"]]


def test_recbole_tsv_and_iso_dates(tmp_path):
    source = write(tmp_path / "old.inter", f"{HEADER}\n1\t2\t3\n1\t3\t1\n1\t4\t2\n")
    old = inter_rows(prepare_dataset(source, "old", tmp_path).inter_file)
    assert [row[1] for row in old] == ["3", "4", "2"]
    dated = write(tmp_path / "dated.tsv",
                  "user\titem\ttime\nu\t1\t2024-01-02\nu\t2\t2024-01-01T12:00:00\nu\t3\t2024-01-03\n")
    rows = inter_rows(prepare_dataset(dated, "dated", tmp_path).inter_file)
    assert [row[1] for row in rows] == ["2", "1", "3"] and rows[0][2] == "1704110400"


def test_columns_option_on_the_command_line(tmp_path):
    source = write(tmp_path / "events.csv", "who,what,when\n1,10,3\n1,11,1\n1,12,2\n")
    code = prepare("--input", source, "--name", "shop", "--out", tmp_path, "--columns", "who,what,when")
    assert code == 0
    assert [row[1] for row in inter_rows(tmp_path / "shop" / "shop.inter")] == ["11", "12", "10"]


def test_kcore_one_round():
    # items c and d have one action each; removing them removes user 3 and nothing else.
    table = pd.DataFrame({"user": ["1", "1", "2", "2", "3", "3"], "item": ["a", "b", "a", "b", "c", "d"],
                          "timestamp": range(6)})
    filtered, rounds = kcore_filter(table, 2)
    assert pairs(filtered) == [("1", "a"), ("1", "b"), ("2", "a"), ("2", "b")]
    assert rounds == 1


def test_kcore_repeats_until_stable():
    # round 1 drops user 3 (one action); item c is then left with one action and goes in round 2.
    table = pd.DataFrame({"user": ["1", "1", "2", "2", "2", "3"], "item": ["a", "b", "a", "b", "c", "c"],
                          "timestamp": range(6)})
    filtered, rounds = kcore_filter(table, 2)
    assert pairs(filtered) == [("1", "a"), ("1", "b"), ("2", "a"), ("2", "b")]
    assert rounds == 2
    assert kcore_filter(table, 0)[0] is table


def test_kcore_cascade_from_the_command_line(tmp_path):
    # 3-core: item z (2 actions) goes, then users w and v (left with 2), then item y, then users u and t.
    rows = ["u,x,1", "u,y,2", "u,q,3", "t,x,1", "t,y,2", "t,q,3", "s,x,1", "s,q,2", "s,r,3", "r,x,1", "r,q,2",
            "r,r,3", "p,r,1", "p,x,2", "p,q,3", "w,z,1", "w,y,2", "w,r,3", "v,z,1", "v,y,2", "v,r,3"]
    source = write(tmp_path / "events.csv", "user,item,timestamp\n" + "\n".join(rows) + "\n")
    assert prepare("--input", source, "--name", "k", "--out", tmp_path, "--min-count", 3) == 0
    report = json.loads((tmp_path / "k" / "k.prepare.json").read_text())
    assert report["before"] == {"users": 7, "items": 5, "actions": 21}
    assert report["after"] == {"users": 3, "items": 3, "actions": 9}
    assert report["kcore_rounds"] == 4
    assert [row[0] for row in inter_rows(tmp_path / "k" / "k.inter")] == ["s"] * 3 + ["r"] * 3 + ["p"] * 3


BAD_SEQUENCES = [
    ("1 2 3 4\n\n2 3 4 5\n", r"line 2: empty line; expected 'user_id item_id"),
    ("1 2 3 4\n  \n", r"line 2: empty line"),
    ("1 2 3 4\n2 2 x 4\n", r"line 2: 'x' is not a positive integer id in '2 2 x 4'"),
    ("1 2 3.5 4\n", r"line 1: '3.5' is not a positive integer id"),
    ("1 2 0 4\n", r"line 1: '0' is not a positive integer id"),
    ("1 2 -3 4\n", r"line 1: '-3' is not a positive integer id"),
    ("u1 2 3 4\n", r"line 1: 'u1' is not a positive integer id"),
    ("1 2 3 4\n2 3 4 5\n1 5 6 7\n", r"line 3: user 1 already appeared on line 1; expected one line per user"),
    ("1 2 3 4\n2 3 4\n3 4 5\n", r"line 2: user 2 has 2 interaction\(s\); expected at least 3 for leave-one"),
    ("1 2 3 4\n2\n", r"line 2: user 2 has no items"),
    ("", r"holds no sequences"),
]


@pytest.mark.parametrize(("text", "message"), BAD_SEQUENCES)
def test_bad_sequence_input_names_file_and_line(tmp_path, text, message):
    source = write(tmp_path / "bad.txt", text)
    with pytest.raises(DataFormatError, match=message) as raised:
        prepare_dataset(source, "bad", tmp_path / "out")
    assert str(raised.value).startswith(str(source))
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(("text", "message"), BAD_SEQUENCES)
def test_cli_prints_the_error_and_returns_2(tmp_path, capsys, text, message):
    source = write(tmp_path / "bad.txt", text)
    assert prepare("--input", source, "--name", "bad", "--out", tmp_path / "out") == 2
    captured = capsys.readouterr()
    assert re.search(message, captured.err) and str(source) in captured.err
    assert "Traceback" not in captured.err and not (tmp_path / "out").exists()


def test_short_users_can_be_dropped(tmp_path):
    source = write(tmp_path / "seq.txt", "1 2 3 4\n2 3\n3 1 2\n")
    report = prepare_dataset(source, "toy", tmp_path, drop_short=True)
    assert report.dropped_short_users == 2 and report.after == {"users": 1, "items": 3, "actions": 3}
    assert report.before == {"users": 3, "items": 4, "actions": 6}
    short = prepare_dataset(source, "toy2", tmp_path, min_length=1)
    assert short.after["users"] == 3


def test_users_made_short_by_kcore_are_reported(tmp_path):
    source = write(tmp_path / "seq.txt", "1 1 2 3\n2 1 2 3\n3 1 2 9\n")
    with pytest.raises(DataFormatError, match=r"line 3: user 3 has 2 interaction\(s\) after --min-count"):
        prepare_dataset(source, "toy", tmp_path, min_count=2)


def test_missing_and_unreadable_files(tmp_path, capsys):
    with pytest.raises(DataFormatError, match="nothere.txt: file not found"):
        prepare_dataset(tmp_path / "nothere.txt", "x", tmp_path)
    with pytest.raises(DataFormatError, match="nothere.csv: file not found"):
        prepare_dataset(tmp_path / "nothere.csv", "x", tmp_path)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"1 2 3\n\xff\xfe\n")
    with pytest.raises(DataFormatError, match="binary.txt: cannot read"):
        prepare_dataset(binary, "x", tmp_path)
    assert prepare("--input", tmp_path / "nothere.txt", "--name", "x", "--out", tmp_path) == 2
    assert "file not found" in capsys.readouterr().err


@pytest.mark.parametrize(("text", "message"), [
    ("user,product,ts\n1,2,3\n", r"line 1: the header \['user', 'product', 'ts'\] has no item column"),
    ("1,2\n3,4\n", r"line 1: 2 column\(s\).*expected at least 3 columns"),
    ("user,item,timestamp\n1,2,3\n1,3,soon\n", r"line 3: timestamp 'soon' is not a number"),
    ("user,item,timestamp\n1,2,3\n,3,4\n", r"line 3: user id '' is empty"),
    ("user,item,timestamp\n1,2,3\n\n1,3,4\n", r"line 3: user id '' is empty"),
    ("user,item,timestamp\n", r"no interactions"),
])
def test_bad_tables_name_file_and_line(tmp_path, text, message):
    source = write(tmp_path / "events.csv", text)
    with pytest.raises(DataFormatError, match=message) as raised:
        prepare_dataset(source, "shop", tmp_path / "out", min_length=1)
    assert str(raised.value).startswith(str(source)) and not (tmp_path / "out").exists()


def test_columns_option_names_missing_columns(tmp_path):
    source = write(tmp_path / "events.csv", "a,b,c\n1,2,3\n")
    with pytest.raises(DataFormatError, match=r"line 1: missing column\(s\) \['when'\]"):
        prepare_dataset(source, "shop", tmp_path, columns=["a", "b", "when"])


def test_missing_benchmark_gives_the_prepare_commands(tmp_path):
    with pytest.raises(DatasetNotFoundError) as raised:
        require_atomic_files(tmp_path, "amazon-beauty")
    message = str(raised.value)
    assert str(tmp_path / "amazon-beauty" / "amazon-beauty.inter") in message
    assert (f"recbole-elcrec prepare --input /path/to/Beauty.txt --name amazon-beauty "
            f"--out {tmp_path}") in message
    assert f"recbole-elcrec prepare --download amazon-beauty --out {tmp_path}" in message
    assert isinstance(raised.value, FileNotFoundError)


def test_missing_custom_dataset_has_no_download_command(tmp_path):
    with pytest.raises(DatasetNotFoundError) as raised:
        require_atomic_files(tmp_path, "my-shop")
    message = str(raised.value)
    assert f"prepare --input /path/to/my-shop.txt --name my-shop --out {tmp_path}" in message
    assert "--download" not in message


def test_present_dataset_is_found(tmp_path):
    prepare_dataset(write(tmp_path / "seq.txt", "1 1 2 3\n"), "toy", tmp_path)
    assert require_atomic_files(tmp_path, "toy") == tmp_path / "toy" / "toy.inter"


@pytest.fixture
def served(tmp_path):
    """A loopback HTTP server serving ``tmp_path/www``; yields (base url, its data folder)."""
    folder = tmp_path / "www" / "data"
    folder.mkdir(parents=True)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path / "www"), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()
    server.server_close()
    thread.join()


BEAUTY_SAMPLE = b"1 1 2 3\n2 2 3 4 5\n"


@pytest.fixture
def beauty_sample(served, monkeypatch):
    """The served Beauty.txt is a small sample whose hash BENCHMARKS expects; yields the base url."""
    base, folder = served
    (folder / "Beauty.txt").write_bytes(BEAUTY_SAMPLE)
    expected = hashlib.sha256(BEAUTY_SAMPLE).hexdigest()
    monkeypatch.setitem(BENCHMARKS, "amazon-beauty", ("Beauty.txt", expected))
    return base


def test_download_verifies_hash_and_converts(beauty_sample, tmp_path):
    out = tmp_path / "out"
    assert prepare("--download", "amazon-beauty", "--out", out, "--base-url", beauty_sample) == 0
    assert (out / "raw" / "Beauty.txt").read_bytes() == BEAUTY_SAMPLE
    assert inter_rows(out / "amazon-beauty" / "amazon-beauty.inter") == [
        ["1", "1", "1"], ["1", "2", "2"], ["1", "3", "3"], ["2", "2", "1"], ["2", "3", "2"], ["2", "4", "3"],
        ["2", "5", "4"]]
    assert require_atomic_files(out, "amazon-beauty").is_file()


def test_download_base_from_environment_and_kept_file_reused_offline(beauty_sample, tmp_path, monkeypatch):
    monkeypatch.setenv("RECBOLE_ELCREC_DOWNLOAD_BASE", beauty_sample)
    out = tmp_path / "out"
    assert prepare("--download", "amazon-beauty", "--name", "beauty", "--out", out) == 0
    assert (out / "beauty" / "beauty.inter").is_file()
    unreachable = f"http://127.0.0.1:{closed_port()}"
    assert download_benchmark("amazon-beauty", out, unreachable) == out / "raw" / "Beauty.txt"


def test_download_with_wrong_hash_keeps_nothing(served, tmp_path, capsys):
    base, folder = served
    (folder / "Beauty.txt").write_bytes(b"1 1 2 3\n")
    actual = hashlib.sha256(b"1 1 2 3\n").hexdigest()
    with pytest.raises(DownloadError, match=f"expected {BENCHMARKS['amazon-beauty'][1]}, got {actual}"):
        download_benchmark("amazon-beauty", tmp_path / "out", base)
    assert prepare("--download", "amazon-beauty", "--out", tmp_path / "out", "--base-url", base) == 2
    assert "SHA-256 mismatch" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_missing_remote_file_is_a_download_error(served, tmp_path):
    base, _ = served
    with pytest.raises(DownloadError, match="404"):
        download_benchmark("yelp", tmp_path / "out", base)
    assert not (tmp_path / "out").exists()


def test_unreachable_download_says_how_to_get_the_file(tmp_path, capsys):
    base = f"http://127.0.0.1:{closed_port()}"
    code = prepare("--download", "amazon-toys-games", "--out", tmp_path / "d", "--base-url", base)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert f"cannot download {base}/data/Toys_and_Games.txt" in err and "by hand" in err
    assert ("recbole-elcrec prepare --input /path/to/Toys_and_Games.txt "
            f"--name amazon-toys-games --out {tmp_path / 'd'}") in err
    assert not (tmp_path / "d").exists()


def test_default_download_url_is_pinned(monkeypatch):
    monkeypatch.delenv("RECBOLE_ELCREC_DOWNLOAD_BASE", raising=False)
    assert benchmark_url("amazon-sports-outdoors") == (
        "https://raw.githubusercontent.com/salesforce/ICLRec/4afb54a036ebbf4166ed5858122d89c0642251a7"
        "/data/Sports_and_Outdoors.txt")


@pytest.mark.skipif(not (SHARED_DATA / "Beauty.txt").is_file(), reason="benchmark files not present")
def test_paper_beauty_file_converts(tmp_path):
    report = prepare_dataset(SHARED_DATA / "Beauty.txt", "amazon-beauty", tmp_path)
    assert report.after == {"users": 22363, "items": 12101, "actions": 198502}
    assert report.source_sha256 == BENCHMARKS["amazon-beauty"][1]


@pytest.mark.parametrize(("text", "message"), [
    ("user,item,time\nu,1,2024-01-01\nu,2,2024-01-02\nu,3,2024-13-45\n",
     r"line 4: timestamp '2024-13-45' is not a number \(nor an ISO date\)"),
    ("user,item,time\nu,1,2024-01-01\nu,2,1700000000\nu,3,2024-01-03\n",
     r"line 3: timestamp '1700000000' is a number, but line 2 holds an ISO date"),
    ("user,item,time\nu,1,5\nu,2,6\nu,3,2024-01-03\n", r"line 4: timestamp '2024-01-03' is an ISO date, but line 2"),
])
def test_the_bad_timestamp_is_the_one_named(tmp_path, text, message):
    with pytest.raises(DataFormatError, match=message):
        prepare_dataset(write(tmp_path / "events.csv", text), "shop", tmp_path / "out")


def test_a_too_long_id_names_the_limit(tmp_path):
    source = write(tmp_path / "seq.txt", "1 2 3 4\n2 1234567890123456789012 3 4\n")
    with pytest.raises(DataFormatError, match=r"line 2: id '1234567890123456789012' has 22 digits; ids may have at "
                                              r"most 18 digits \(they must fit a 64-bit integer\)"):
        prepare_dataset(source, "toy", tmp_path / "out")


def test_an_existing_dataset_is_replaced_only_with_force(tmp_path, capsys):
    first, second = write(tmp_path / "a.txt", "1 1 2 3\n"), write(tmp_path / "b.txt", "1 4 5 6\n")
    prepare_dataset(first, "toy", tmp_path / "out")
    with pytest.raises(FileExistsError, match=r"toy\.inter already exists"):
        prepare_dataset(second, "toy", tmp_path / "out")
    assert prepare("--input", second, "--name", "toy", "--out", tmp_path / "out") == 2
    assert "hint: pass --force to replace it" in capsys.readouterr().err
    assert [row[1] for row in inter_rows(tmp_path / "out" / "toy" / "toy.inter")] == ["1", "2", "3"]
    assert prepare("--input", second, "--name", "toy", "--out", tmp_path / "out", "--force") == 0
    assert [row[1] for row in inter_rows(tmp_path / "out" / "toy" / "toy.inter")] == ["4", "5", "6"]


def test_an_out_that_is_a_file_is_refused_before_reading_the_input(tmp_path, capsys, monkeypatch):
    blocker = write(tmp_path / "out", "")
    monkeypatch.setattr("recbole_elcrec.data.prepare.read_interactions", lambda *args: pytest.fail("input read"))
    assert prepare("--input", write(tmp_path / "a.txt", "1 1 2 3\n"), "--name", "toy", "--out", blocker) == 2
    err = capsys.readouterr().err
    assert f"error: cannot write to the --out folder {blocker / 'toy'}: a file of that name" in err
    assert "Traceback" not in err


def test_a_full_disk_is_one_line_naming_the_file_and_leaves_nothing(tmp_path, capsys, monkeypatch):
    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("recbole_elcrec.utils.io.os.fsync", disk_full)
    assert prepare("--input", write(tmp_path / "a.txt", "1 1 2 3\n"), "--name", "toy", "--out", tmp_path / "o") == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"error: cannot write {tmp_path / 'o' / 'toy' / 'toy.inter'}: No space left on device"
    assert not list((tmp_path / "o" / "toy").iterdir())


@pytest.mark.parametrize(("text", "message"), [
    ("user_id\titem_id\ttimestamp\n1\t2\t3\n", r"line 1: column 'user_id' has no :type; expected a RecBole header"),
    ("user_id:token\titem_id:int\ttimestamp:float\n1\t2\t3\n", r"column 'item_id:int' has the type 'int'"),
    ("user:token\titem_id:token\ttimestamp:float\n1\t2\t3\n", r"line 1: no column 'user_id' in the header"),
    (f"{HEADER}\n", r"has a header but no interactions"),
])
def test_a_malformed_atomic_file_is_named_before_recbole_reads_it(tmp_path, text, message, capsys):
    (tmp_path / "d").mkdir()
    write(tmp_path / "d" / "d.inter", text)
    with pytest.raises(DataFormatError, match=message):
        require_atomic_files(tmp_path, "d", ["user_id", "item_id", "timestamp"])
    assert train_main(["--dataset", "d", f"--data_path={tmp_path}", f"--checkpoint_dir={tmp_path / 's'}"]) == 2
    err = capsys.readouterr().err
    assert re.search(message, err) and str(tmp_path / "d" / "d.inter") in err
