"""Dataset preparation: conversion, k-core filtering, bad input, missing datasets and the download."""

import hashlib
import http.server
import socket
import threading
from pathlib import Path

import pytest

from recbole_elcrec import data
from recbole_elcrec.data import (
    DataFormatError,
    DatasetNotFoundError,
    DownloadError,
    kcore_filter,
    main,
    prepare_dataset,
    require_atomic_files,
)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_sequence_file_becomes_time_ordered_atomic_file(tmp_path):
    source = write(tmp_path / "seq.txt", "1 5 3 9\n2 3 3 4 7\n")
    report = prepare_dataset(source, "toy", tmp_path / "out")
    lines = Path(report.inter_file).read_text().splitlines()
    assert lines[0] == "user_id:token\titem_id:token\ttimestamp:float"
    assert lines[1:] == ["1\t5\t1", "1\t3\t2", "1\t9\t3", "2\t3\t1", "2\t3\t2", "2\t4\t3", "2\t7\t4"]
    assert report.before == report.after == {"users": 2, "items": 5, "actions": 7}
    assert Path(report.inter_file).with_suffix(".prepare.json").is_file()


def test_csv_is_sorted_by_time_within_user(tmp_path):
    source = write(tmp_path / "events.csv", "user,item,timestamp\nb,x,30\na,y,20\nb,y,10\na,x,5\na,z,7\nb,z,20\n")
    report = prepare_dataset(source, "shop", tmp_path)
    rows = [line.split("\t") for line in Path(report.inter_file).read_text().splitlines()[1:]]
    assert [(user, item) for user, item, _ in rows] == [("a", "x"), ("a", "z"), ("a", "y"), ("b", "y"), ("b", "z"),
                                                         ("b", "x")]


def test_kcore_repeats_until_stable():
    import pandas as pd

    # item d has one action; removing it leaves user 3 with one action, which then removes item c.
    table = pd.DataFrame({"user": ["1", "1", "2", "2", "3", "3"], "item": ["a", "b", "a", "b", "c", "d"],
                          "timestamp": range(6)})
    filtered, rounds = kcore_filter(table.assign(item=["a", "b", "a", "b", "c", "d"]), 2)
    assert sorted(zip(filtered["user"], filtered["item"], strict=True)) == [("1", "a"), ("1", "b"), ("2", "a"),
                                                                           ("2", "b")]
    assert rounds >= 1
    table = pd.DataFrame({"user": ["1", "1", "2", "2", "2", "3"], "item": ["a", "b", "a", "b", "c", "c"],
                          "timestamp": range(6)})
    filtered, rounds = kcore_filter(table, 2)
    assert set(filtered["item"]) == {"a", "b"} and rounds == 2


@pytest.mark.parametrize(("text", "message"), [
    ("1 2 3 4\n\n2 3 4 5\n", r"line 2: empty line"),
    ("1 2 x 4\n", r"line 1: 'x' is not a positive integer id"),
    ("1 2 3 4\n2 3 4 5\n1 5 6 7\n", r"line 3: user 1 already appeared on line 1"),
    ("1 2 3 4\n2 3 4\n3 4\n", r"line 2: user 2 has 2 interaction\(s\) \(2 user\(s\) in all have fewer than 3\)"),
    ("1 2 -3 4\n", r"'-3' is not a positive integer id"),
])
def test_bad_sequence_input_names_file_and_line(tmp_path, text, message):
    source = write(tmp_path / "bad.txt", text)
    with pytest.raises(DataFormatError, match=message) as raised:
        prepare_dataset(source, "bad", tmp_path / "out")
    assert str(source) in str(raised.value)
    assert not (tmp_path / "out" / "bad" / "bad.inter").exists()


def test_short_users_can_be_dropped(tmp_path):
    source = write(tmp_path / "seq.txt", "1 2 3 4\n2 3\n")
    report = prepare_dataset(source, "toy", tmp_path, drop_short=True)
    assert report.dropped_short_users == 1 and report.after["users"] == 1


def test_csv_missing_column_is_named(tmp_path):
    source = write(tmp_path / "events.csv", "user,product\n1,2\n")
    with pytest.raises(DataFormatError, match="no item column"):
        prepare_dataset(source, "shop", tmp_path)


def test_cli_prints_error_and_returns_2(tmp_path, capsys):
    source = write(tmp_path / "bad.txt", "1 2 3\n\n")
    assert main(["prepare", "--input", str(source), "--name", "bad", "--out", str(tmp_path)]) == 2
    assert "line 2: empty line" in capsys.readouterr().err


def test_missing_dataset_gives_the_prepare_commands(tmp_path):
    with pytest.raises(DatasetNotFoundError) as raised:
        require_atomic_files(tmp_path, "amazon-beauty")
    message = str(raised.value)
    assert f"python -m recbole_elcrec.data prepare --input /path/to/Beauty.txt --name amazon-beauty --out {tmp_path}" \
        in message
    assert f"prepare --download amazon-beauty --out {tmp_path}" in message


@pytest.fixture
def served(tmp_path, monkeypatch):
    """A loopback HTTP server serving ``tmp_path/www``; yields (base url, folder)."""
    folder = tmp_path / "www" / "data"
    folder.mkdir(parents=True)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(tmp_path / "www"), **kwargs)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", folder
    server.shutdown()


def test_download_verifies_hash_and_converts(served, tmp_path, monkeypatch):
    base, folder = served
    content = b"1 1 2 3\n2 2 3 4 5\n"
    (folder / "Beauty.txt").write_bytes(content)
    monkeypatch.setitem(data.BENCHMARKS, "amazon-beauty", ("Beauty.txt", hashlib.sha256(content).hexdigest()))
    out = tmp_path / "out"
    assert main(["prepare", "--download", "amazon-beauty", "--out", str(out), "--base-url", base]) == 0
    assert (out / "raw" / "Beauty.txt").read_bytes() == content
    assert len((out / "amazon-beauty" / "amazon-beauty.inter").read_text().splitlines()) == 1 + 7


def test_download_with_wrong_hash_keeps_nothing(served, tmp_path):
    base, folder = served
    (folder / "Beauty.txt").write_bytes(b"1 1 2 3\n")
    with pytest.raises(DownloadError, match="does not match"):
        data.download_benchmark("amazon-beauty", tmp_path / "raw", base)
    assert not (tmp_path / "raw" / "Beauty.txt").exists()


def test_unreachable_download_says_how_to_get_the_file(tmp_path, capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    code = main(["prepare", "--download", "amazon-toys-games", "--out", str(tmp_path),
                 "--base-url", f"http://127.0.0.1:{closed_port}"])
    err = capsys.readouterr().err
    assert code == 2
    assert "Fetch the file by hand" in err and "--input /path/to/Toys_and_Games.txt --name amazon-toys-games" in err


@pytest.mark.skipif(not (SHARED_DATA / "Beauty.txt").is_file(), reason="benchmark files not present")
def test_paper_beauty_file_converts(tmp_path):
    report = prepare_dataset(SHARED_DATA / "Beauty.txt", "amazon-beauty", tmp_path)
    assert report.after == {"users": 22363, "items": 12101, "actions": 198502}
