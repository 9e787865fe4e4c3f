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


def load_checkpoint(path: str | os.PathLike, map_location: Any = "cpu") -> dict[str, Any]:
    """Load a checkpoint written by this package without unpickling arbitrary objects.

    ``weights_only=True`` restricts unpickling to tensors and plain containers, so a tampered
    file cannot execute code; our checkpoints contain nothing else.
    """
    import torch  # here, not at the top: ``import recbole_elcrec`` (and the command help) stays free of torch

    try:
        return torch.load(os.fspath(path), map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise FileNotFoundError(f"checkpoint not found: {path}") from None
    except Exception as error:  # torch raises UnpicklingError/RuntimeError subclasses here
        raise ValueError(
            f"cannot load checkpoint {path}: {error}. Only checkpoints written by recbole_elcrec "
            "(tensors and plain values) can be loaded safely; RecBole's own .pth files pickle the "
            "whole Config and are refused."
        ) from error
