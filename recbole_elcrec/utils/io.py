"""Atomic file writes (a reader never sees a half-written report, table or checkpoint) and writability checks.

A write that fails (a full disk, a read-only folder) raises OutputError, an OSError whose message names
the file and the reason in one line; the file that was there before is left as it was.
"""

from __future__ import annotations

import errno as errno_module
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any


class OutputError(OSError):
    """A file or folder cannot be written; the message names it and says why, in one line."""

    hint = "free some disk space or choose a writable folder; files written before are intact"

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno


def _reason(error: OSError) -> str:
    if isinstance(error, (FileExistsError, NotADirectoryError)):
        return "a file of that name (or of a parent folder's name) is in the way"
    return error.strerror or str(error)


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write`` on a temporary file next to ``path``, then rename it over ``path``.

    The rename is atomic on POSIX file systems, so an interrupted run leaves either the old
    file or the new one, never a truncated mix. An OSError (full disk, no permission) becomes
    OutputError naming ``path``.
    """
    target = Path(path)
    tmp_name = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o666 & ~_current_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp_name, target)
    except BaseException as error:
        if tmp_name and os.path.exists(tmp_name):
            os.unlink(tmp_name)
        if isinstance(error, OSError) and not isinstance(error, OutputError):
            raise OutputError(f"cannot write {target}: {_reason(error)}", error.errno) from error
        raise
    return target


def probe_writable(path: str | os.PathLike, what: str = "folder") -> Path:
    """Prove that ``path`` could be created and written, creating nothing; else OutputError naming it.

    The nearest folder that exists on the way to ``path`` gets a temporary file (created, removed).
    """
    folder = Path(path).absolute()
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    try:
        if not existing.is_dir():
            raise NotADirectoryError(errno_module.ENOTDIR, "not a folder", str(existing))
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise OutputError(f"cannot write to the {what} {path}: {_reason(error)}", error.errno) from error
    return Path(path)


def ensure_writable_dir(path: str | os.PathLike, what: str = "folder") -> Path:
    """Create ``path`` if missing and prove it writable by creating and removing a file in it; else OutputError.

    Permission bits alone do not tell (root writes into a 0500 folder), so a real file is tried.
    """
    folder = Path(path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=folder)
        os.close(fd)
        os.unlink(probe)
    except OSError as error:
        raise OutputError(f"cannot write to the {what} {folder}: {_reason(error)}", error.errno) from error
    return folder


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write(path, lambda handle: handle.write(text.encode("utf-8")))


def atomic_write_json(path: str | os.PathLike, payload: Any) -> Path:
    """Write ``payload`` as indented JSON to ``path`` atomically."""
    return atomic_write_text(path, json.dumps(payload, indent=2, sort_keys=True, default=str) + "\n")
