"""Exact resume: random states, the training loader's state, what may change on resume, where a resumed run writes.

What a resumable checkpoint holds beyond the weights and the optimiser: the global random states
(torch CPU and CUDA, python ``random``, numpy) and the training loader's state, so that a run
interrupted and resumed with the same settings reproduces the uninterrupted run on the CPU.
The loader protocol is generic: a loader with ``state_dict()`` / ``load_state_dict()`` (this
package's ``DeviceBatchLoader``) saves its own state; RecBole's ``TrainDataLoader`` shuffles with
its own ``torch.Generator`` (``loader.generator``, also drawn for the DataLoader's base seed), whose
state is saved instead.

On resume the settings fingerprint of the checkpoint is compared with the current one: only
``RESUMABLE_CHANGES`` may differ (a changed ``learning_rate`` is written into the optimiser's
parameter groups after its state is loaded, so it takes effect); anything else (model,
architecture, dataset files, seed, ...) is refused naming the keys. A resumed run writes its best
checkpoint, its ``-last.pth`` and its results JSON beside the file it resumes from, named after it:
resuming ``X-last.pth`` in place continues run X, resuming a copy in another folder never touches
the original run's files, and resuming from a best checkpoint ``X.pth`` starts ``X-resumed-<time>``.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch

from recbole_elcrec.utils.compat import load_checkpoint
from recbole_elcrec.utils.fingerprint import SettingsMismatchError, describe_differences, differences
from recbole_elcrec.utils.io import atomic_write, ensure_writable_dir

RESUMABLE_CHANGES = ("epochs", "stopping_step", "learning_rate", "time_cap_minutes")
LAST_SUFFIX = "-last.pth"
LOGGER = logging.getLogger(__name__)


class ResumeError(ValueError):
    """A checkpoint cannot continue the run asked for; the message says why."""

    hint = "resume with the settings of the interrupted run, or start a new run without --resume"


class TrainingInterrupted(KeyboardInterrupt):
    """Training was interrupted (Ctrl-C); ``last_checkpoint`` is the ``-last.pth`` to resume from, if one exists."""

    def __init__(self, last_checkpoint: str | None) -> None:
        super().__init__(last_checkpoint)
        self.last_checkpoint = last_checkpoint


# ---------------------------------------------------------------- random states


def rng_states() -> dict[str, Any]:
    """The global random states: torch CPU (and CUDA when initialised), python ``random`` and numpy, as tensors."""
    version, python_state, gauss = random.getstate()
    name, keys, position, has_gauss, cached = np.random.get_state()
    states = {
        "torch": torch.get_rng_state(),
        "python": {"version": version, "state": torch.tensor(python_state, dtype=torch.int64), "gauss": gauss},
        "numpy": {"name": name, "keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(position),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_rng_states(states: dict[str, Any]) -> None:
    """Set the global random states saved by ``rng_states`` (CUDA only where the same GPUs are present)."""
    torch.set_rng_state(states["torch"].cpu())
    python = states.get("python")
    if python:
        random.setstate((python["version"], tuple(int(value) for value in python["state"].tolist()), python["gauss"]))
    numpy_state = states.get("numpy")
    if numpy_state:
        np.random.set_state((numpy_state["name"], numpy_state["keys"].cpu().numpy().astype(np.uint32),
                             numpy_state["pos"], numpy_state["has_gauss"], numpy_state["cached_gaussian"]))
    cuda = states.get("cuda")
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all([state.cpu() for state in cuda])


# ---------------------------------------------------------------- the training loader


def loader_state(loader: Any) -> dict[str, Any] | None:
    """The training loader's state: its ``state_dict()``, or the state of its ``torch.Generator`` (RecBole's)."""
    if callable(getattr(loader, "state_dict", None)):
        return {"state_dict": loader.state_dict()}
    generator = getattr(loader, "generator", None)
    if isinstance(generator, torch.Generator):
        return {"generator": generator.get_state()}
    return None


def restore_loader_state(loader: Any, state: dict[str, Any] | None) -> None:
    """Put a loader back into the state ``loader_state`` saved (a warning when that is impossible)."""
    if not state:
        return
    if "state_dict" in state and callable(getattr(loader, "load_state_dict", None)):
        loader.load_state_dict(state["state_dict"])
    elif "generator" in state and isinstance(getattr(loader, "generator", None), torch.Generator):
        loader.generator.set_state(state["generator"].cpu())
    else:
        LOGGER.warning(f"the training loader {type(loader).__name__} cannot restore the saved data order; "
                       "the resumed run will not repeat the interrupted one exactly")


def restore_run_state(loader: Any, checkpoint: dict[str, Any]) -> None:
    """Random states and the loader's state of a resumable checkpoint (older ones: torch's CPU state only)."""
    if "rng_states" in checkpoint:
        restore_rng_states(checkpoint["rng_states"])
    elif "torch_rng_state" in checkpoint:
        torch.set_rng_state(checkpoint["torch_rng_state"].cpu())
    restore_loader_state(loader, checkpoint.get("loader_state"))


# ---------------------------------------------------------------- what may change, where the resumed run writes


def check_resumable(checkpoint: dict[str, Any], config: Any, fingerprint: dict[str, Any] | None,
                    path: str | os.PathLike) -> None:
    """ResumeError / SettingsMismatchError when ``checkpoint`` cannot continue a run with ``config``'s settings."""
    if str(checkpoint.get("model", "")).lower() != str(config["model"]).lower():
        raise ResumeError(f"cannot resume from {path}: it was trained with model {checkpoint.get('model')!r}, "
                          f"not {config['model']!r}")
    changed = differences(checkpoint.get("fingerprint"), fingerprint or {}, ignore=RESUMABLE_CHANGES)
    if fingerprint and changed:
        raise SettingsMismatchError(
            f"cannot resume from {path}: it was trained with other settings: {describe_differences(changed)}",
            hint=f"resume with the settings of the interrupted run (only {', '.join(RESUMABLE_CHANGES)} may change "
                 "on resume), or start a new run without --resume")


def load_resumable(path: str | os.PathLike, config: Any, fingerprint: dict[str, Any] | None,
                   map_location: Any = "cpu") -> dict[str, Any]:
    """The checkpoint at ``path`` (checksum verified), checked against the current settings."""
    checkpoint = load_checkpoint(path, map_location=map_location)
    check_resumable(checkpoint, config, fingerprint, path)
    return checkpoint


def resumed_files(resume_file: str | os.PathLike, checkpoint: dict[str, Any]) -> tuple[str, str]:
    """(best checkpoint, ``-last.pth``) of a run resumed from ``resume_file``: beside it, named after it.

    ``DIR/X-last.pth`` gives ``DIR/X.pth`` and ``DIR/X-last.pth``; a best checkpoint ``DIR/X.pth`` gives
    ``DIR/X-resumed-<time>.pth`` and its ``-last.pth``. When the best file is missing (a copied
    ``-last.pth``), the run's recorded best checkpoint is copied there, so the test metrics come from
    the run's best epoch; when that one is gone too, ResumeError says what to copy where.
    """
    resume = Path(resume_file)
    if resume.name.endswith(LAST_SUFFIX):
        base = resume.name[: -len(LAST_SUFFIX)]
    else:  # a best checkpoint: a new pair of files, so the run's own -last.pth is not overwritten
        base = f"{resume.stem}-resumed-{time.strftime('%Y%m%d-%H%M%S')}"
    best, last = resume.with_name(f"{base}.pth"), resume.with_name(f"{base}{LAST_SUFFIX}")
    recorded = checkpoint.get("best_model_file")
    if not best.exists():
        if recorded and Path(recorded).is_file():
            with open(recorded, "rb") as source:
                atomic_write(best, lambda handle: shutil.copyfileobj(source, handle))
        elif checkpoint.get("best_valid_result"):
            raise ResumeError(f"cannot resume from {resume}: the run's best checkpoint is missing ({best} and "
                              f"{recorded} do not exist); copy the best .pth of that run to {best}")
    return str(best), str(last)


def output_folder(config: Any, resume: str | os.PathLike | None) -> Path:
    """Create and probe the folder a run writes its checkpoints into (the resume file's folder when resuming)."""
    if resume:
        return ensure_writable_dir(Path(resume).resolve().parent, "folder of the --resume checkpoint")
    return ensure_writable_dir(config["checkpoint_dir"], "checkpoint_dir")


def interrupted_run(folder: str | os.PathLike, model: str, dataset: str,
                    fingerprint: dict[str, Any]) -> str | None:
    """The newest ``-last.pth`` in ``folder`` of an unfinished run of ``model`` on ``dataset`` with these settings.

    A run is unfinished when its results JSON (``X.json`` beside ``X-last.pth``) was never written; its
    settings must fit ``fingerprint`` as ``--resume`` requires (only ``RESUMABLE_CHANGES`` may differ).
    Unreadable files are skipped. None when there is nothing to resume, so the run starts afresh.
    """
    candidates = sorted(Path(folder).glob(f"{model}-{dataset}-*{LAST_SUFFIX}"),
                        key=lambda path: path.stat().st_mtime, reverse=True)
    for path in candidates:
        if path.with_name(path.name[: -len(LAST_SUFFIX)] + ".json").exists():
            continue  # a finished run
        try:
            checkpoint = load_checkpoint(path)
        except (OSError, ValueError, RuntimeError) as error:
            LOGGER.warning(f"skipping {path} as a run to resume: {error}")
            continue
        if not checkpoint.get("fingerprint"):
            continue  # written before fingerprints: its settings cannot be matched
        try:
            check_resumable(checkpoint, {"model": model}, fingerprint, path)
        except (ResumeError, SettingsMismatchError):
            continue  # another model or other settings: another run
        return str(path)
    return None


def set_learning_rate(optimizer: torch.optim.Optimizer, learning_rate: float) -> float | None:
    """Write ``learning_rate`` into every parameter group; the old rate when it changed, else None."""
    old = optimizer.param_groups[0]["lr"] if optimizer.param_groups else None
    for group in optimizer.param_groups:
        group["lr"] = learning_rate
    return old if old is not None and old != learning_rate else None


@contextmanager
def interruption_names_last_checkpoint(trainer: Any) -> Iterator[None]:
    """Turn Ctrl-C during training into TrainingInterrupted naming the ``-last.pth`` to resume from (if written)."""
    try:
        yield
    except KeyboardInterrupt as interrupt:
        if isinstance(interrupt, TrainingInterrupted):
            raise
        last = getattr(trainer, "last_checkpoint_file", None)
        raise TrainingInterrupted(last if last and os.path.isfile(last) else None) from interrupt


class EpochCheckpointMixin:
    """RecBole's own trainers with the resumable ``-last.pth`` after every epoch, as ``ELCRecTrainer`` writes it.

    RecBole's ``fit`` has no hook after an epoch's validation. The state at the end of epoch N
    (validated, best checkpoint saved) is the state at the start of epoch N + 1, so epoch N's
    ``-last.pth`` is written when ``_train_epoch`` starts epoch N + 1, and the last epoch's at the end
    of ``fit``. Resuming a finished run trains nothing and keeps its best checkpoint (RecBole's
    ``fit`` would save the last weights over it). Each validated epoch's score goes into ``history``
    (RecBole keeps none), which checkpoints carry across a resume and run records keep, so the best
    epoch of a RecBole model's record can be checked as for this package's models. Mixed in front of
    ``SafeCheckpointMixin`` and RecBole's trainer class.
    """

    _writes_last, _epoch_in_progress = False, None  # outside fit (e.g. S3Rec's pre-training) nothing is written

    def fit(self, train_data, valid_data=None, verbose=True, saved=True, show_progress=False, callback_fn=None):
        self._begin_fit(train_data)
        self._writes_last, self._epoch_in_progress = saved, None
        if self.start_epoch >= self.epochs and os.path.isfile(self.saved_model_file):
            # a finished run resumed: RecBole would overwrite the best checkpoint with the last weights
            self.eval_collector.data_collect(train_data)  # what evaluate() needs from the training data
            return self.best_valid_score, self.best_valid_result
        outcome = super().fit(train_data, valid_data, verbose=verbose, saved=saved, show_progress=show_progress,
                              callback_fn=self._recording_scores(callback_fn))
        self._save_finished_epoch()
        return outcome

    def _recording_scores(self, callback_fn: Callable[[int, float], None] | None) -> Callable[[int, float], None]:
        """``callback_fn`` after noting the validated epoch and its score in ``history``."""
        def record_then_call(epoch_idx: int, valid_score: float) -> None:
            self.history.append({"epoch": int(epoch_idx), "valid_score": float(valid_score)})
            if callback_fn:
                callback_fn(epoch_idx, valid_score)
        return record_then_call

    def _save_finished_epoch(self) -> None:
        if self._writes_last and self._epoch_in_progress is not None:
            self._save_last_checkpoint(self._epoch_in_progress)

    def _train_epoch(self, train_data, epoch_idx, *args, **kwargs):
        self._save_finished_epoch()
        self._epoch_in_progress = epoch_idx
        return super()._train_epoch(train_data, epoch_idx, *args, **kwargs)
