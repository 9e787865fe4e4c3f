"""Safe checkpoints for any RecBole trainer: tensors and plain values only, written atomically, weights_only loads."""

from __future__ import annotations

import io
import json
import os
import uuid
from pathlib import Path
from time import time
from typing import Any

import torch
from recbole.utils import get_local_time, set_color

from recbole_elcrec.trainer.resume import (
    EpochCheckpointMixin,
    ResumeError,
    check_resumable,
    loader_state,
    restore_run_state,
    resumed_files,
    rng_states,
    set_learning_rate,
)
from recbole_elcrec.utils.compat import load_checkpoint
from recbole_elcrec.utils.integrity import with_checksum
from recbole_elcrec.utils.io import atomic_write

CHECKPOINT_FORMAT = "recbole_elcrec/2"  # 2: checksum, settings fingerprint, all random states, loader state


def plain_values(value: Any) -> Any:
    """``value`` with numpy scalars and other non-JSON leaves turned into plain Python (or strings).

    Checkpoints must hold only what ``torch.load(weights_only=True)`` accepts.
    """
    return json.loads(json.dumps(value, default=_plain_leaf))


def _plain_leaf(value: Any) -> Any:
    """numpy scalars and 0-d tensors become Python numbers; anything else its string."""
    return value.item() if hasattr(value, "item") and getattr(value, "ndim", 1) == 0 else str(value)


def save_checkpoint_atomically(payload: dict[str, Any], path: str | os.PathLike) -> Path:
    """``torch.save`` to memory, then write the bytes to a temporary file beside ``path`` and rename it over ``path``.

    Serialising first means a full disk surfaces as an OSError of the write (OutputError naming
    ``path``), not as torch's archive-writer error.
    """
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return atomic_write(path, lambda handle: handle.write(buffer.getbuffer()))


class SafeCheckpointMixin:
    """Checkpoints holding only tensors and plain values, written atomically, loaded with ``weights_only``.

    RecBole pickles its whole ``Config`` into every checkpoint, which torch >= 2.6 refuses to load
    by default (``UnpicklingError``) and which would run arbitrary code from an untrusted file if
    loaded with ``weights_only=False``. Mixed in front of any RecBole trainer class.
    """

    run_spec: dict[str, Any] = {}
    fingerprint: dict[str, Any] | None = None  # the run's settings fingerprint, set by the caller

    def _init_checkpoint_files(self) -> None:
        """Best checkpoint ``saved/<model>-<dataset>-<time>-<id>.pth`` and a rolling ``...-last.pth`` for resume.

        The random id keeps runs started in the same second (parallel tuning trials) apart.
        """
        stem = f"{self.config['model']}-{self.config['dataset']}-{get_local_time()}-{uuid.uuid4().hex[:6]}"
        self.saved_model_file = os.path.join(self.checkpoint_dir, f"{stem}.pth")
        self.last_checkpoint_file = os.path.join(self.checkpoint_dir, f"{stem}-last.pth")
        self.best_valid_result = None
        self.prior_train_seconds, self._fit_started, self._train_data, self._resume_state = 0.0, None, None, None

    def _begin_fit(self, train_data) -> None:
        """At the start of ``fit``: remember the loader, start the clock, restore a resumed run's random states."""
        self._train_data, self._fit_started = train_data, time()
        if self._resume_state is not None:
            restore_run_state(train_data, self._resume_state)
            self._resume_state = None

    def train_seconds(self) -> float:
        """Seconds spent in ``fit`` by this run, the seconds of the processes it was resumed from included."""
        return self.prior_train_seconds + (time() - self._fit_started if self._fit_started else 0.0)

    def _checkpoint_payload(self, epoch: int) -> dict[str, Any]:
        return with_checksum({**self._plain_payload(epoch), "state_dict": self.model.state_dict(),
                              "optimizer": self.optimizer.state_dict(), "rng_states": rng_states(),
                              "loader_state": loader_state(self._train_data)})

    def _plain_payload(self, epoch: int) -> dict[str, Any]:
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
            "other_parameter": other if other is None or isinstance(other, dict) else None,
            "history": plain_values(getattr(self, "history", [])),
            "fingerprint": self.fingerprint,
            "train_seconds": self.train_seconds(),
            "train_loss": plain_values(getattr(self, "train_loss_dict", {})),
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

    def _load_model_weights(self, path: str | os.PathLike, checkpoint: dict[str, Any] | None = None) -> dict:
        checkpoint = checkpoint or load_checkpoint(path, map_location=self.device)
        try:
            self.model.load_state_dict(checkpoint["state_dict"])
        except RuntimeError as error:  # other shapes or names: a checkpoint of another architecture
            first = str(error).strip().splitlines()[0]
            raise ResumeError(f"checkpoint {path} does not fit the model built from the current settings "
                              f"({first}...)") from None
        self.model.load_other_parameter(checkpoint.get("other_parameter"))
        return checkpoint

    def resume_checkpoint(self, resume_file: str | os.PathLike) -> None:
        """Continue an interrupted run from a checkpoint (usually ``...-last.pth``); see ``trainer.resume``.

        Refused (naming the keys) when the settings differ other than in epochs, stopping_step,
        learning_rate or time_cap_minutes; a changed learning rate is applied to the restored optimiser.
        The resumed run writes beside ``resume_file``; random and loader states are restored when ``fit`` starts.
        """
        checkpoint = load_checkpoint(resume_file, map_location=self.device)
        check_resumable(checkpoint, self.config, self.fingerprint, resume_file)
        self._load_model_weights(resume_file, checkpoint)
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        old_rate = set_learning_rate(self.optimizer, self.config["learning_rate"])
        if old_rate is not None:
            self.logger.info(f"learning_rate changed on resume: {old_rate} -> {self.config['learning_rate']}")
        self.start_epoch = checkpoint["epoch"] + 1
        self.cur_step = checkpoint["cur_step"]
        self.best_valid_score = checkpoint["best_valid_score"]
        self.best_valid_result = checkpoint["best_valid_result"] or None
        self.saved_model_file, self.last_checkpoint_file = resumed_files(resume_file, checkpoint)
        self.prior_train_seconds = float(checkpoint.get("train_seconds", 0.0))
        self.train_loss_dict = {int(epoch): loss for epoch, loss in checkpoint.get("train_loss", {}).items()}
        self._resume_state = checkpoint
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
        self.history = []  # {"epoch", "valid_score"} of each validated epoch (EpochCheckpointMixin)

    return type(f"Safe{trainer_class.__name__}", (EpochCheckpointMixin, SafeCheckpointMixin, trainer_class),
                {"__init__": __init__})
