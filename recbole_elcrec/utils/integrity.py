"""Checksums of checkpoints: SHA-256 over the bytes of every tensor, so damaged weights are refused on load.

torch's zip archives carry no check of the tensor bytes that ``torch.load`` verifies: a file with a few
kilobytes overwritten loads and yields NaNs or garbage. Every checkpoint this package writes stores
``checksum`` (over its tensors: weights, optimiser state, random states), and ``load_checkpoint``
recomputes it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from typing import Any

CHECKSUM_KEY = "checksum"


class CorruptCheckpointError(ValueError):
    """A checkpoint's tensors do not match the checksum written with them."""

    hint = "the file was damaged after it was written; use another checkpoint of the run (its -last.pth or best .pth)"


def _tensors(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, tensor) for every tensor inside nested dicts, lists and tuples, in a stable order."""
    import torch

    if isinstance(value, torch.Tensor):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            if path or key != CHECKSUM_KEY:
                yield from _tensors(item, f"{path}/{key}")
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _tensors(item, f"{path}/{index}")


def payload_checksum(payload: dict[str, Any]) -> str:
    """``sha256:<hex>`` over the name, dtype, shape and bytes of every tensor in ``payload``."""
    import torch

    digest = hashlib.sha256()
    for path, tensor in _tensors(payload):
        flat = tensor.detach().cpu().contiguous().reshape(-1)
        digest.update(f"{path}|{flat.dtype}|{tuple(tensor.shape)}|".encode())
        digest.update(flat.view(torch.uint8).numpy().tobytes())
    return f"sha256:{digest.hexdigest()}"


def with_checksum(payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` with its ``checksum`` entry set."""
    return {**payload, CHECKSUM_KEY: payload_checksum(payload)}


def verify_checksum(payload: dict[str, Any], path: str | os.PathLike) -> None:
    """CorruptCheckpointError naming ``path`` when the stored checksum does not match the tensors.

    A checkpoint without a checksum (written by an older version) is accepted as it is.
    """
    stored = payload.get(CHECKSUM_KEY)
    if stored is not None and stored != payload_checksum(payload):
        raise CorruptCheckpointError(
            f"checkpoint {os.fspath(path)} is damaged: its tensors do not match the checksum written with them "
            "(the file was changed or corrupted after it was saved)"
        )
