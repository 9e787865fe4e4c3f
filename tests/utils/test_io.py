"""Atomic writes: all or nothing, with the usual file permissions."""

import os
import stat

import pytest

from recbole_elcrec.utils.io import atomic_write, atomic_write_json, atomic_write_text


def test_written_file_gets_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "report.md", "hello")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert path.read_text() == "hello"


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = atomic_write_json(tmp_path / "result.json", {"ok": 1})

    def broken(handle):
        handle.write(b"partial")
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        atomic_write(path, broken)
    assert path.read_text().strip().startswith("{") and '"ok": 1' in path.read_text()
    assert [entry.name for entry in tmp_path.iterdir()] == ["result.json"]
