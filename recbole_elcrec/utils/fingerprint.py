"""One fingerprint of the settings that change results: the final config values and the dataset files' identity.

Stored with every cached comparison run, every tune search and every checkpoint, and compared on
reuse: a mismatch names every key that differs (``epochs: 1 -> 3``). Keys that only say where
things go or how they are shown (``checkpoint_dir``, ``data_path``, ``show_progress``, the device,
...) are left out; the dataset is identified by the SHA-256 of its atomic files, not by its path.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

FINGERPRINT_VERSION = 1
# keys that do not change a run's results: output places, logging, display, hardware placement
IGNORED_KEYS = frozenset({
    "checkpoint_dir", "data_path", "show_progress", "state", "log_wandb", "wandb_project", "gpu_id", "use_gpu",
    "device", "worker", "save_dataset", "dataset_save_path", "save_dataloaders", "dataloaders_save_path",
    "loss_decimal_place", "metric_decimal_place", "single_spec", "local_rank", "world_size", "nproc", "ip", "port",
    "offset", "config_files", "eval_batch_size", "benchmark_filename",
})
# keys added to the settings after runs were recorded, with the value those runs had without the key: a
# record that lacks one matches a run at that value, so adding an option keeps the earlier records valid
LATER_KEYS: dict[str, Any] = {"contrast_space": "unit"}
ATOMIC_SUFFIXES = ("inter", "user", "item", "kg", "link", "net")
FILE_PREFIX = "file:"
_DIGESTS: dict[tuple[str, int, int], str] = {}  # (path, size, mtime_ns) -> sha256, files are hashed once


class SettingsMismatchError(ValueError):
    """Earlier results were made with other settings; the message lists every key that differs."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        if hint:
            self.hint = hint


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file, cached by path, size and modification time."""
    stat = os.stat(path)
    key = (os.fspath(path), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        _DIGESTS[key] = digest.hexdigest()
    return _DIGESTS[key]


def dataset_files(config: Any) -> dict[str, str]:
    """``file:NAME.inter`` -> ``sha256:...`` for every atomic file of the configured dataset that the run reads.

    RecBole reads only the files named by ``load_col`` (every file when it is unset), so an ``.item`` file
    added for S3Rec changes nothing for a model that reads the interactions alone.
    """
    folder = Path(str(config["data_path"]))
    dataset = str(config["dataset"])
    read = config["load_col"]
    suffixes = [suffix for suffix in ATOMIC_SUFFIXES if read is None or suffix in read]
    return {f"{FILE_PREFIX}{dataset}.{suffix}": f"sha256:{file_sha256(folder / f'{dataset}.{suffix}')}"
            for suffix in suffixes if (folder / f"{dataset}.{suffix}").is_file()}


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def config_values(config: Any, ignore: Iterable[str] = ()) -> dict[str, Any]:
    """The result-changing settings of a RecBole ``Config`` (or a mapping) as plain JSON values."""
    values = getattr(config, "final_config_dict", config)
    skipped = IGNORED_KEYS | set(ignore)
    return {key: _plain(value) for key, value in sorted(values.items()) if key not in skipped}


def settings_fingerprint(config: Any, extra: Mapping[str, Any] | None = None,
                         ignore: Iterable[str] = ()) -> dict[str, Any]:
    """``{"version", "sha256", "settings"}``: the settings that change results, the dataset files, ``extra``."""
    settings = {**config_values(config, ignore), **dataset_files(config), **_plain(dict(extra or {}))}
    text = json.dumps(settings, sort_keys=True)
    return {"version": FINGERPRINT_VERSION, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "settings": settings}


def _shown(value: Any) -> str:
    if isinstance(value, str) and value.startswith("sha256:"):
        return value[:19]  # sha256: and 12 hex digits
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else value
    return text if len(text) <= 60 else text[:57] + "..."


MISSING = "(not set)"


def differences(old: Mapping[str, Any] | None, new: Mapping[str, Any], ignore: Iterable[str] = ()) -> list[str]:
    """``key: old -> new`` for every setting that differs between two fingerprints, ``ignore``d keys aside.

    A key of ``LATER_KEYS`` that ``old`` lacks counts as set to the value runs had before it existed.
    """
    if not old or old.get("sha256") == new.get("sha256"):
        return []
    before, after = old.get("settings", {}), new.get("settings", {})
    before = {**{key: value for key, value in LATER_KEYS.items() if key in after}, **before}
    skipped = set(ignore)
    keys = sorted((set(before) | set(after)) - skipped)
    return [f"{key}: {_shown(before.get(key, MISSING))} -> {_shown(after.get(key, MISSING))}"
            for key in keys if before.get(key, MISSING) != after.get(key, MISSING)]


def describe_differences(changes: list[str], limit: int = 8) -> str:
    """The first ``limit`` differences joined for one message, with a count of the rest."""
    shown = "; ".join(changes[:limit])
    return shown + (f"; and {len(changes) - limit} more" if len(changes) > limit else "")
