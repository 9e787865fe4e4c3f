"""Compatibility shims: numpy 2 aliases RecBole's Config still uses, and safe checkpoint loading."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

# RecBole 1.2.1's Config.compatibility_settings() reads these names, which numpy 2 removed.
_REMOVED_NUMPY_ALIASES = {
    "float_": "float64",
    "complex_": "complex128",
    "unicode_": "str_",
    "bool8": "bool_",
}


def install_numpy_aliases() -> list[str]:
    """Re-create the numpy aliases RecBole needs when numpy >= 2 lacks them; returns the names added.

    On numpy 1.x every alias exists and nothing changes.
    """
    added = []
    for alias, target in _REMOVED_NUMPY_ALIASES.items():
        if alias not in np.__dict__:
            setattr(np, alias, getattr(np, target))
            added.append(alias)
    return added


ZIP_MAGIC = b"PK\x03\x04"  # torch.save writes a zip archive


class CheckpointError(ValueError):
    """A checkpoint cannot be loaded: missing tensors, not a checkpoint, empty, unsafe or damaged."""

    hint = "pass a .pth written by recbole-elcrec train (the best .pth or the run's -last.pth)"


def _refusal(path: str | os.PathLike, error: Exception) -> str:
    text = str(error)
    if "weights_only" in text or "Unsupported global" in text:
        return ("it holds Python objects other than tensors and plain values, which are not loaded because "
                "unpickling them could run code. Only checkpoints written by recbole_elcrec (tensors and plain "
                "values) can be loaded safely; RecBole's own .pth files pickle the whole Config and are refused.")
    first = next((line.strip() for line in text.splitlines() if line.strip()), type(error).__name__)
    return f"the file is damaged or not a checkpoint ({first})"


def load_checkpoint(path: str | os.PathLike, map_location: Any = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by this package without unpickling arbitrary objects, checksum verified.

    ``weights_only=True`` restricts unpickling to tensors and plain containers, so a tampered
    file cannot execute code; our checkpoints contain nothing else. An empty file, a file that is
    no torch archive and one whose tensors do not match their checksum are refused with a
    CheckpointError naming the file.
    """
    import torch  # here, not at the top: ``import recbole_elcrec`` (and the command help) stays free of torch

    from recbole_elcrec.utils.integrity import verify_checksum

    try:
        with open(path, "rb") as handle:
            head = handle.read(len(ZIP_MAGIC))
    except FileNotFoundError:
        raise FileNotFoundError(f"checkpoint not found: {path}") from None
    except OSError as error:
        raise CheckpointError(f"cannot load checkpoint {path}: {error.strerror or error}") from None
    if not head:
        raise CheckpointError(f"cannot load checkpoint {path}: the file is empty (0 bytes), so no save into it "
                              "finished")
    if head != ZIP_MAGIC:
        raise CheckpointError(f"cannot load checkpoint {path}: it is not a torch checkpoint (no zip archive "
                              f"header; it starts with {head!r})")
    try:
        payload = torch.load(os.fspath(path), map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises UnpicklingError/RuntimeError subclasses here
        raise CheckpointError(f"cannot load checkpoint {path}: {_refusal(path, error)}") from error
    if not isinstance(payload, dict) or "state_dict" not in payload:
        raise CheckpointError(f"cannot load checkpoint {path}: it holds no model state (state_dict)")
    verify_checksum(payload, path)
    return payload
