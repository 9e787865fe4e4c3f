"""S3Rec's two stages as one run: self-supervised pre-training on item attributes, then fine-tuning."""

from __future__ import annotations

import logging
from pathlib import Path
from time import time
from typing import Any

from recbole.utils import init_logger, init_seed

from recbole_elcrec.config import build_config
from recbole_elcrec.quick_start.run import build_model, load_data, run
from recbole_elcrec.trainer.checkpoint import save_checkpoint_atomically
from recbole_elcrec.utils.hardware import prepare_cpu
from recbole_elcrec.utils.registry import resolve_trainer

PRETRAIN_SHARE_OF_CAP = 0.5  # of time_cap_minutes, for pre-training; fine-tuning gets the rest


def pretrain(model: str, dataset: str, config_files: list[str], overrides: dict[str, Any]) -> dict[str, Any]:
    """Pre-train ``model`` (``train_stage: pretrain``) for ``pretrain_epochs`` or half the time cap.

    Returns the checkpoint (its ``state_dict`` only, loadable with ``weights_only``), the seconds and epochs.
    Subnormal floats count as zero and large buffers stay on the heap (``prepare_cpu``), as in the fine-tuning
    run: pre-training is the first torch work of the process when S3Rec is the first run of a comparison, so
    flushing only in ``run`` would come after torch's threads exist and miss them.
    """
    prepare_cpu()  # before torch's first threads, which inherit it
    config = build_config(model, dataset, config_files, {**overrides, "train_stage": "pretrain"})
    init_seed(config["seed"], config["reproducibility"])
    init_logger(config)
    _, train_data, _, _ = load_data(config)
    trainer = resolve_trainer(config.model_class)(config, build_model(config, train_data))
    cap = config["time_cap_minutes"]
    budget = None if cap is None else float(cap) * 60 * PRETRAIN_SHARE_OF_CAP
    start, epochs = time(), 0
    while epochs < int(config["pretrain_epochs"]) and (budget is None or time() - start < budget):
        losses = trainer._train_epoch(train_data, epochs, show_progress=config["show_progress"])
        logging.getLogger().info(f"pre-training epoch {epochs}: loss {losses}")
        epochs += 1
    path = Path(config["checkpoint_dir"]) / f"{model}-{dataset}-seed{config['seed']}-pretrained.pth"
    save_checkpoint_atomically({"state_dict": trainer.model.state_dict()}, path)
    return {"pre_model_path": str(path), "pretrain_seconds": time() - start, "pretrain_epochs_run": epochs}


def pretrain_and_finetune(model: str, dataset: str, config_files: list[str], overrides: dict[str, Any]) -> dict:
    """Both stages; the record of the fine-tuning run with the pre-training's seconds added to its own.

    ``time_cap_minutes`` covers both: pre-training stops at half of it, fine-tuning gets what is left.
    """
    stage = pretrain(model, dataset, config_files, overrides)
    finetune = {**overrides, "train_stage": "finetune", "pre_model_path": stage["pre_model_path"]}
    if overrides.get("time_cap_minutes") is not None:
        finetune["time_cap_minutes"] = max(overrides["time_cap_minutes"] - stage["pretrain_seconds"] / 60, 1e-3)
    result = run(model, dataset, config_files, finetune)
    return {**result, **stage, "finetune_seconds": result["train_seconds"],
            "train_seconds": result["train_seconds"] + stage["pretrain_seconds"]}
