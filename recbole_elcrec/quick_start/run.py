"""Train and evaluate one model on one dataset through RecBole, writing the metrics beside the checkpoint."""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from recbole.data import create_dataset, data_preparation
from recbole.utils import init_logger, init_seed

from recbole_elcrec.config import build_config, known_dataset_names
from recbole_elcrec.data.loaders import fast_train_loader
from recbole_elcrec.data.prepare import DatasetNotFoundError, require_atomic_files
from recbole_elcrec.trainer.resume import interruption_names_last_checkpoint, load_resumable, output_folder
from recbole_elcrec.utils.fingerprint import settings_fingerprint
from recbole_elcrec.utils.io import atomic_write_json
from recbole_elcrec.utils.registry import resolve_trainer

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
    """The RecBole dataset and its train/valid/test loaders, after checking the files exist."""
    ensure_dataset_files(config)
    dataset = create_dataset(config)
    train_data, valid_data, test_data = data_preparation(config, dataset)
    return dataset, train_data, valid_data, test_data


def build_model(config, train_data):
    """The configured model on the configured device, seeded as RecBole does."""
    init_seed(config["seed"] + config["local_rank"], config["reproducibility"])
    return config.model_class(config, train_data.dataset).to(config["device"])


def _existing(path: str | None) -> str | None:
    return path if path and os.path.isfile(path) else None


def _plain_metrics(result: Mapping[str, Any] | None) -> dict[str, float]:
    return {key: float(value) for key, value in (result or {}).items()}


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
    """
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
    if config["fast_train"]:
        train_data = fast_train_loader(config, train_data, model_instance)

    trainer = resolve_trainer(config.model_class)(config, model_instance)
    trainer.run_spec = {"model": model, "dataset": dataset, "config_files": config_files, "overrides": overrides}
    trainer.fingerprint = fingerprint
    if resume:
        trainer.resume_checkpoint(resume)

    with interruption_names_last_checkpoint(trainer):
        best_valid_score, best_valid_result = trainer.fit(
            train_data, valid_data, saved=saved, show_progress=config["show_progress"], callback_fn=callback_fn
        )
    train_seconds = trainer.train_seconds()
    test_result = trainer.evaluate(test_data, load_best_model=saved, show_progress=config["show_progress"])

    result = {
        "model": model,
        "dataset": dataset,
        "seed": config["seed"],
        "valid_metric": config["valid_metric"],
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
    }
    if saved:
        result["results_file"] = str(atomic_write_json(results_path(trainer.saved_model_file), result))
    logger.info(f"best valid: {result['best_valid_result']}")
    logger.info(f"test result: {result['test_result']}")
    return result
