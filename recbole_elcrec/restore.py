"""Rebuild a trained model, its dataset and loaders from a checkpoint written by this package."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from recbole.data.interaction import Interaction

from recbole_elcrec.compat import load_checkpoint
from recbole_elcrec.config import build_config
from recbole_elcrec.run import build_model, load_data


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


def load_trained(checkpoint_path: str | os.PathLike, device: str | None = None) -> Trained:
    """Load ``checkpoint_path`` and rebuild its config, data and model from the recorded run settings.

    The dataset files must still be where the run read them (its ``data_path``).
    """
    checkpoint = load_checkpoint(checkpoint_path)
    spec = checkpoint.get("run_spec") or {}
    if not spec.get("model"):
        raise ValueError(f"checkpoint {checkpoint_path} records no run settings (run_spec); was it written by "
                         "recbole_elcrec?")
    overrides = {**spec.get("overrides", {}), "show_progress": False}
    if device is not None:
        overrides["use_gpu"] = device != "cpu"
    config = build_config(spec["model"], spec["dataset"], spec.get("config_files", []), overrides)
    dataset, train_data, valid_data, test_data = load_data(config)
    model = build_model(config, train_data)
    model.load_state_dict(checkpoint["state_dict"])
    model.eval()
    return Trained(config, model, dataset, train_data, valid_data, test_data, checkpoint)


def user_histories(trained: Trained) -> dict[int, list[int]]:
    """Every user's full item sequence in time order (internal ids), from the whole dataset."""
    inter = trained.dataset.inter_feat
    users = inter[trained.config["USER_ID_FIELD"]].numpy()
    items = inter[trained.config["ITEM_ID_FIELD"]].numpy()
    times = inter[trained.config["TIME_FIELD"]].numpy()
    order = np.lexsort((times, users))  # by user, then time
    users, items = users[order], items[order]
    starts = np.flatnonzero(np.diff(users)) + 1
    return {int(group[0]): sequence.tolist() for group, sequence in zip(np.split(users, starts),
                                                                      np.split(items, starts), strict=True)}


def sequence_batch(trained: Trained, sequences: list[list[int]]) -> Interaction:
    """Left-aligned ``[B, L]`` item sequences (the last ``MAX_ITEM_LIST_LENGTH`` items) as an Interaction."""
    config = trained.config
    max_len = config["MAX_ITEM_LIST_LENGTH"]
    item_seq = torch.zeros(len(sequences), max_len, dtype=torch.long)
    lengths = torch.zeros(len(sequences), dtype=torch.long)
    for row, sequence in enumerate(sequences):
        recent = sequence[-max_len:]
        item_seq[row, : len(recent)] = torch.tensor(recent)
        lengths[row] = len(recent)
    fields = {config["ITEM_ID_FIELD"] + config["LIST_SUFFIX"]: item_seq, config["ITEM_LIST_LENGTH_FIELD"]: lengths}
    return Interaction(fields).to(config["device"])
