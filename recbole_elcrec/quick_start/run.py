"""Train and evaluate one model on one dataset through RecBole, writing the metrics beside the checkpoint."""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import torch
from recbole.data import create_dataset, data_preparation
from recbole.utils import init_logger, init_seed

from recbole_elcrec.config import build_config, known_dataset_names
from recbole_elcrec.data.loaders import compile_encoder, fast_train_loader
from recbole_elcrec.data.prepare import DatasetNotFoundError, require_atomic_files
from recbole_elcrec.data.sequences import TRAIN_MODES, sequence_train_loader
from recbole_elcrec.evaluation.protocol import protocol_loaders, protocol_of
from recbole_elcrec.evaluation.selection import checkpoint_epoch
from recbole_elcrec.model.base import ContrastiveSequentialRecommender
from recbole_elcrec.trainer.checkpoint import plain_values
from recbole_elcrec.trainer.resume import (
    interrupted_run,
    interruption_names_last_checkpoint,
    load_resumable,
    output_folder,
)
from recbole_elcrec.utils.fingerprint import settings_fingerprint
from recbole_elcrec.utils.hardware import device_name, package_commit, prepare_cpu
from recbole_elcrec.utils.io import atomic_write_json
from recbole_elcrec.utils.registry import PACKAGE_MODELS, resolve_trainer

BUILTIN_DATASETS = ("ml-100k",)  # shipped inside the recbole wheel


def ensure_dataset_files(config) -> None:
    """Stop before RecBole tries a download when the atomic files of the dataset are missing.

    A name close to a dataset this package has settings for (a typo) gets a suggestion; a ``.inter``
    file without a typed header, without the configured columns or without rows is named.
    """
    dataset = config["dataset"]
    if dataset in BUILTIN_DATASETS:
        return
    data_root = Path(config["data_path"]).parent  # RecBole appends the dataset name to data_path
    load_col = config["load_col"] or {}
    try:
        require_atomic_files(data_root, dataset, load_col.get("inter", []) if isinstance(load_col, dict) else [])
    except DatasetNotFoundError as error:
        known = known_dataset_names()
        close = difflib.get_close_matches(dataset, known, n=1, cutoff=0.75) if dataset not in known else []
        if close:
            raise DatasetNotFoundError(f"{error}\nDid you mean --dataset {close[0]}?") from None
        raise


def results_path(checkpoint_file: str | os.PathLike) -> Path:
    """The JSON results file written beside a checkpoint: ``X.pth`` -> ``X.json``."""
    return Path(checkpoint_file).with_suffix(".json")


def load_data(config) -> tuple:
    """The RecBole dataset and its train/valid/test loaders (validation and test under the run's protocol).

    Checks first that the files exist.
    """
    ensure_dataset_files(config)
    dataset = create_dataset(config)
    train_data, valid_data, test_data = data_preparation(config, dataset)
    valid_data, test_data = protocol_loaders(config, train_data, valid_data, test_data)
    return dataset, train_data, valid_data, test_data


def training_loader(config, train_data, model):
    """The loader the model trains on: sequence mode's, the device-resident one (``fast_train``) or RecBole's."""
    mode = config["train_mode"] or "prefix"
    if mode not in TRAIN_MODES:
        raise ValueError(f"train_mode must be one of {TRAIN_MODES}, got {mode!r}")
    if mode == "sequence":
        if not isinstance(model, ContrastiveSequentialRecommender):
            raise ValueError(f"train_mode: sequence is for this package's models ({', '.join(PACKAGE_MODELS)}); "
                             f"RecBole's {type(model).__name__} trains on RecBole's prefix rows: "
                             "set train_mode: prefix")
        if config["compile"]:
            compile_encoder(model, config["device"])
        return sequence_train_loader(config, train_data)
    if (config["next_item_weighting"] or "target") != "target":
        raise ValueError(f"next_item_weighting: {config['next_item_weighting']} needs train_mode: sequence; "
                         "a prefix row holds one target, so with prefix rows every target weighs the same")
    return fast_train_loader(config, train_data, model) if config["fast_train"] else train_data


def build_model(config, train_data):
    """The configured model on the configured device, seeded as RecBole does."""
    init_seed(config["seed"] + config["local_rank"], config["reproducibility"])
    return config.model_class(config, train_data.dataset).to(config["device"])


# run bookkeeping that does not change results, left out of a run's recorded settings
NOT_SETTINGS = ("data_path", "checkpoint_dir", "show_progress", "state", "device", "gpu_id", "use_gpu", "log_wandb",
                "wandb_project", "save_dataset", "save_dataloaders", "dataset_save_path", "dataloaders_save_path",
                "local_rank", "single_spec", "nproc", "world_size", "ip", "port", "offset")


def recorded_settings(config) -> dict[str, Any]:
    """Every final setting of a run that can change its result, as plain JSON values."""
    return {key: plain_values(value) for key, value in sorted(config.final_config_dict.items())
            if key not in NOT_SETTINGS}


def _existing(path: str | None) -> str | None:
    return path if path and os.path.isfile(path) else None


def _plain_metrics(result: Mapping[str, Any] | None) -> dict[str, float]:
    return {key: float(value) for key, value in (result or {}).items()}


class TimeCapReached(Exception):
    """Training ran longer than ``time_cap_minutes``; the best checkpoint so far is tested."""


class ValidationWatch:
    """RecBole's ``callback_fn`` after every validation: records the scores and enforces ``time_cap_minutes``.

    Works alike for this package's trainer and RecBole's: on the cap it raises ``TimeCapReached``, which
    leaves the trainer's ``fit`` after that epoch's best checkpoint is written, unless ``stopping()`` says
    early stopping ends training at that same epoch (its patience ran out): that run converged.
    """

    def __init__(self, cap_minutes: float | None, bigger: bool, elapsed: Callable[[], float],
                 then: Callable[[int, float], None] | None = None, earlier: list[dict[str, Any]] = (),
                 stopping: Callable[[], bool] = lambda: False):
        self.cap_seconds = None if cap_minutes is None else float(cap_minutes) * 60
        self.bigger = bigger
        self.stopping = stopping  # asked after a validation: does the trainer's early stopping end training now?
        self.elapsed = elapsed  # training seconds so far, a resumed run's earlier processes included
        self.then = then
        # (epoch index, validation score), from the epochs a resumed run had validated already
        self.scores = [(int(record["epoch"]), float(record["valid_score"])) for record in earlier
                       if "valid_score" in record]
        self.capped = False

    def __call__(self, epoch_idx: int, valid_score: float) -> None:
        self.scores.append((int(epoch_idx), float(valid_score)))
        if self.then:
            self.then(epoch_idx, valid_score)
        if self.cap_seconds is not None and self.elapsed() > self.cap_seconds and not self.stopping():
            self.capped = True
            raise TimeCapReached

    def best_epoch(self) -> int | None:
        """The epoch (0-based) whose checkpoint is tested: the last to reach the best score (``checkpoint_epoch``)."""
        return checkpoint_epoch(self.scores, self.bigger)

    def stop_reason(self, epochs: int) -> str:
        """Why training ended: ``time cap``, ``early stopping`` (before the epoch cap) or ``epoch cap``."""
        if self.capped:
            return "time cap"
        last = self.scores[-1][0] + 1 if self.scores else epochs
        return "early stopping" if last < epochs else "epoch cap"


def run(
    model: str = "ELCRec",
    dataset: str = "ml-100k",
    config_files: Iterable[str | os.PathLike] = (),
    overrides: Mapping[str, Any] | None = None,
    saved: bool = True,
    resume: str | os.PathLike | None = None,
    callback_fn: Callable[[int, float], None] | None = None,
) -> dict[str, Any]:
    """Train ``model`` on ``dataset``, evaluate the best checkpoint on test, and return the results.

    Returns a dict with ``best_valid_result``, ``test_result``, ``checkpoint``, ``results_file``,
    ``train_seconds`` and ``epochs_run`` (a resumed run's earlier processes included), the per-epoch
    ``history`` and the settings ``fingerprint``; the same dict is written as JSON beside the
    checkpoint (atomically). Before any data is read: the settings are checked, the checkpoint
    folder must be writable and a ``resume`` checkpoint must fit the settings (``trainer.resume``).
    Ctrl-C during training raises ``TrainingInterrupted`` naming the ``-last.pth`` to resume from.
    Subnormal floats count as zero and large buffers stay on the heap (``prepare_cpu``; recorded as
    ``denormals_flushed`` and ``large_buffers_kept``).
    """
    cpu_settings = prepare_cpu()  # before torch's first threads, which inherit it
    commit = package_commit()  # the code this process runs, whatever the checkout holds when training ends
    config_files = [str(path) for path in config_files]
    overrides = dict(overrides or {})
    config = build_config(model, dataset, config_files, overrides)
    ensure_dataset_files(config)
    fingerprint = settings_fingerprint(config)
    if saved:
        output_folder(config, resume)
    if resume:
        load_resumable(resume, config, fingerprint)
    init_seed(config["seed"], config["reproducibility"])
    init_logger(config)
    logger = logging.getLogger()
    logger.info(config)

    recbole_dataset, train_data, valid_data, test_data = load_data(config)
    logger.info(recbole_dataset)
    model_instance = build_model(config, train_data)
    logger.info(model_instance)
    train_data = training_loader(config, train_data, model_instance)

    trainer = resolve_trainer(config.model_class)(config, model_instance)
    trainer.run_spec = {"model": model, "dataset": dataset, "config_files": config_files, "overrides": overrides}
    trainer.fingerprint = fingerprint
    if resume:
        trainer.resume_checkpoint(resume)

    def patience_ran_out() -> bool:
        """RecBole's ``early_stopping`` test; both trainers' ``fit`` set ``cur_step`` before the callback."""
        return trainer.cur_step > config["stopping_step"]

    watch = ValidationWatch(config["time_cap_minutes"], config["valid_metric_bigger"], trainer.train_seconds,
                            callback_fn, getattr(trainer, "history", []), patience_ran_out)
    try:
        with interruption_names_last_checkpoint(trainer):
            best_valid_score, best_valid_result = trainer.fit(
                train_data, valid_data, saved=saved, show_progress=config["show_progress"], callback_fn=watch
            )
    except TimeCapReached:
        logger.info(f"time cap of {config['time_cap_minutes']} minutes reached; testing the best checkpoint")
        best_valid_score, best_valid_result = trainer.best_valid_score, trainer.best_valid_result
    train_seconds = trainer.train_seconds()
    stop_reason = watch.stop_reason(config["epochs"])
    test_result = trainer.evaluate(test_data, load_best_model=saved, show_progress=config["show_progress"])

    result = {
        "model": model,
        "dataset": dataset,
        "seed": config["seed"],
        "valid_metric": config["valid_metric"],
        "eval_protocol": protocol_of(config),
        "train_mode": config["train_mode"] or "prefix",
        "loss_type": config["loss_type"],
        "stop_reason": stop_reason,
        "converged": stop_reason == "early stopping",
        "best_epoch": watch.best_epoch(),
        "epochs_trained": watch.scores[-1][0] + 1 if watch.scores else None,
        "best_valid_score": float(best_valid_score),
        "best_valid_result": _plain_metrics(best_valid_result),
        "test_result": _plain_metrics(test_result),
        "train_seconds": train_seconds,
        "epochs_run": len(trainer.train_loss_dict),  # every epoch of the run, those before a resume included
        "history": list(getattr(trainer, "history", [])),
        "checkpoint": trainer.saved_model_file if saved else None,
        "resume_checkpoint": _existing(getattr(trainer, "last_checkpoint_file", None)) if saved else None,
        "fingerprint": fingerprint,
        "log_file": next((h.baseFilename for h in logger.handlers if hasattr(h, "baseFilename")), None),
        "hardware": device_name(config["device"]),
        **cpu_settings,
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": commit,
        "torch": torch.__version__,
        "settings": recorded_settings(config),
    }
    if saved:
        result["results_file"] = str(atomic_write_json(results_path(trainer.saved_model_file), result))
    logger.info(f"best valid: {result['best_valid_result']}")
    logger.info(f"test result: {result['test_result']}")
    return result


def run_or_resume(model: str, dataset: str, config_files: list[str], overrides: dict[str, Any]) -> dict[str, Any]:
    """``run``, resuming from the ``-last.pth`` of an interrupted run of the same model, dataset and settings.

    An interrupted run has a ``-last.pth`` in the checkpoint folder and no results JSON beside it
    (``trainer.resume.interrupted_run``); without one the run starts afresh.
    """
    config = build_config(model, dataset, config_files, overrides)
    resume = interrupted_run(config["checkpoint_dir"], model, dataset, settings_fingerprint(config))
    if resume:
        logging.getLogger(__name__).info(f"resuming the interrupted run {resume}")
    return run(model, dataset, config_files, overrides, resume=resume)
