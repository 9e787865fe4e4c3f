"""Rebuild a trained model, its dataset and loaders from a checkpoint written by this package."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch

from recbole_elcrec.config import build_config
from recbole_elcrec.data.prepare import DatasetNotFoundError
from recbole_elcrec.quick_start.run import build_model, load_data
from recbole_elcrec.utils.compat import load_checkpoint
from recbole_elcrec.utils.hardware import prepare_cpu


@dataclass
class Trained:
    """A trained model in eval mode with the data it was trained on."""

    config: Any
    model: torch.nn.Module
    dataset: Any
    train_data: Any
    valid_data: Any
    test_data: Any
    checkpoint: dict[str, Any]


def run_settings(checkpoint: dict[str, Any], path: str | os.PathLike) -> dict[str, Any]:
    """The checkpoint's ``run_spec`` (model, dataset, config files, overrides); ValueError when it has none."""
    spec = checkpoint.get("run_spec") or {}
    if not spec.get("model") or not spec.get("dataset"):
        raise ValueError(f"checkpoint {path} records no run settings (run_spec); was it written by recbole_elcrec?")
    return spec


def load_trained(checkpoint_path: str | os.PathLike, device: str | None = None,
                 overrides: dict[str, Any] | None = None) -> Trained:
    """Load ``checkpoint_path`` and rebuild its config, data and model (eval mode) from the recorded run settings.

    The dataset files must still be where the run read them (its ``data_path``); ``device``
    (``cpu``, ``cuda``, ``cuda:1``) overrides the device the run used; ``overrides`` settings that do
    not change the model (``eval_protocol``, ``eval_batch_size``, ...). Subnormal floats count as zero and
    large buffers stay on the heap (``prepare_cpu``), as in training.
    """
    prepare_cpu()  # before torch's first threads, which inherit it
    checkpoint = load_checkpoint(checkpoint_path, map_location=device or "cpu")
    spec = run_settings(checkpoint, checkpoint_path)
    overrides = {**spec.get("overrides", {}), "show_progress": False, **(overrides or {})}
    if device is not None:
        overrides["use_gpu"] = torch.device(device).type != "cpu"
    config = build_config(spec["model"], spec["dataset"], spec.get("config_files", []), overrides)
    if device is not None:
        config["device"] = torch.device(device)
    try:
        dataset, train_data, valid_data, test_data = load_data(config)
    except DatasetNotFoundError as error:
        raise DatasetNotFoundError(f"cannot rebuild the data of checkpoint {checkpoint_path}: {error}") from None
    model = build_model(config, train_data)
    model.load_state_dict(checkpoint["state_dict"])
    model.eval()
    return Trained(config, model, dataset, train_data, valid_data, test_data, checkpoint)
