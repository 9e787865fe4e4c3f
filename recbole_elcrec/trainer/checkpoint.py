"""Safe checkpoints for any RecBole trainer: tensors and plain values only, written atomically, weights_only loads."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path
from typing import Any

import torch
from recbole.utils import get_local_time, set_color

from recbole_elcrec.utils.compat import load_checkpoint
from recbole_elcrec.utils.io import atomic_write

CHECKPOINT_FORMAT = "recbole_elcrec/1"


def plain_values(value: Any) -> Any:
    """``value`` with numpy scalars and other non-JSON leaves turned into plain Python (or strings).

    Checkpoints must hold only what ``torch.load(weights_only=True)`` accepts.
    """
    return json.loads(json.dumps(value, default=_plain_leaf))


def _plain_leaf(value: Any) -> Any:
    """numpy scalars and 0-d tensors become Python numbers; anything else its string."""
    return value.item() if hasattr(value, "item") and getattr(value, "ndim", 1) == 0 else str(value)


def save_checkpoint_atomically(payload: dict[str, Any], path: str | os.PathLike) -> Path:
    """``torch.save`` to a temporary file beside ``path``, then rename it over ``path``."""
    return atomic_write(path, lambda handle: torch.save(payload, handle))


class SafeCheckpointMixin:
    """Checkpoints holding only tensors and plain values, written atomically, loaded with ``weights_only``.

    RecBole pickles its whole ``Config`` into every checkpoint, which torch >= 2.6 refuses to load
    by default (``UnpicklingError``) and which would run arbitrary code from an untrusted file if
    loaded with ``weights_only=False``. Mixed in front of any RecBole trainer class.
    """

    run_spec: dict[str, Any] = {}

    def _init_checkpoint_files(self) -> None:
        """Best checkpoint ``saved/<model>-<dataset>-<time>-<id>.pth`` and a rolling ``...-last.pth`` for resume.

        The random id keeps runs started in the same second (parallel tuning trials) apart.
        """
        stem = f"{self.config['model']}-{self.config['dataset']}-{get_local_time()}-{uuid.uuid4().hex[:6]}"
        self.saved_model_file = os.path.join(self.checkpoint_dir, f"{stem}.pth")
        self.last_checkpoint_file = os.path.join(self.checkpoint_dir, f"{stem}-last.pth")
        self.best_valid_result = None

    def _checkpoint_payload(self, epoch: int) -> dict[str, Any]:
        other = self.model.other_parameter()
        return {
            "format": CHECKPOINT_FORMAT,
            "model": self.config["model"],
            "dataset": self.config["dataset"],
            "run_spec": plain_values(self.run_spec),
            "config": plain_values(self.config.final_config_dict),
            "epoch": epoch,
            "cur_step": self.cur_step,
            "best_valid_score": float(self.best_valid_score),
            "best_valid_result": plain_values(self.best_valid_result or {}),
            "best_model_file": self.saved_model_file,
            "state_dict": self.model.state_dict(),
            "other_parameter": other if other is None or isinstance(other, dict) else None,
            "optimizer": self.optimizer.state_dict(),
            "torch_rng_state": torch.get_rng_state(),
            "history": plain_values(getattr(self, "history", [])),
        }

    def _is_checkpoint_writer(self) -> bool:
        return self.config["single_spec"] or self.config["local_rank"] == 0

    def _save_checkpoint(self, epoch: int, verbose: bool = True, **kwargs) -> None:
        """Write the best-model checkpoint atomically (temp file + rename)."""
        if not self._is_checkpoint_writer():
            return
        path = kwargs.pop("saved_model_file", self.saved_model_file)
        save_checkpoint_atomically(self._checkpoint_payload(epoch), path)
        if verbose:
            self.logger.info(set_color("Saving current", "blue") + f": {path}")

    def _save_last_checkpoint(self, epoch: int) -> None:
        """Write the resumable end-of-epoch checkpoint atomically."""
        if self._is_checkpoint_writer():
            save_checkpoint_atomically(self._checkpoint_payload(epoch), self.last_checkpoint_file)

    def _load_model_weights(self, path: str | os.PathLike) -> dict[str, Any]:
        checkpoint = load_checkpoint(path, map_location=self.device)
        self.model.load_state_dict(checkpoint["state_dict"])
        self.model.load_other_parameter(checkpoint.get("other_parameter"))
        return checkpoint

    def resume_checkpoint(self, resume_file: str | os.PathLike) -> None:
        """Continue an interrupted run from a checkpoint (usually ``...-last.pth``)."""
        checkpoint = self._load_model_weights(resume_file)
        if checkpoint.get("model", "").lower() != str(self.config["model"]).lower():
            raise ValueError(
                f"checkpoint {resume_file} was trained with model {checkpoint.get('model')!r}, "
                f"not {self.config['model']!r}"
            )
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.start_epoch = checkpoint["epoch"] + 1
        self.cur_step = checkpoint["cur_step"]
        self.best_valid_score = checkpoint["best_valid_score"]
        self.best_valid_result = checkpoint["best_valid_result"] or None
        self.saved_model_file = checkpoint["best_model_file"]
        if "torch_rng_state" in checkpoint:
            torch.set_rng_state(checkpoint["torch_rng_state"].cpu())
        self.last_checkpoint_file = os.fspath(resume_file)
        if hasattr(self, "history"):
            self.history = list(checkpoint.get("history", []))
        self.logger.info(f"Checkpoint {resume_file} loaded; resuming training at epoch {self.start_epoch}")

    @torch.no_grad()
    def evaluate(self, eval_data, load_best_model=True, model_file=None, show_progress=False):
        """RecBole's evaluation, reloading the best checkpoint safely first when asked to."""
        if eval_data and load_best_model:
            path = model_file or self.saved_model_file
            self._load_model_weights(path)
            self.logger.info(f"Loading model structure and parameters from {path}")
        return super().evaluate(eval_data, load_best_model=False, show_progress=show_progress)


def safe_trainer_class(trainer_class: type) -> type:
    """``trainer_class`` (any RecBole trainer) with safe, atomic checkpoints."""
    if issubclass(trainer_class, SafeCheckpointMixin):
        return trainer_class

    def __init__(self, config, model):
        trainer_class.__init__(self, config, model)
        self._init_checkpoint_files()

    return type(f"Safe{trainer_class.__name__}", (SafeCheckpointMixin, trainer_class), {"__init__": __init__})
