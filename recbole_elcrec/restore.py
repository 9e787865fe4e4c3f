"""Rebuild a trained model, its dataset and loaders from a checkpoint written by this package."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import torch
from recbole.data.interaction import Interaction

from recbole_elcrec.config import build_config
from recbole_elcrec.data import DatasetNotFoundError
from recbole_elcrec.run import build_model, load_data
from recbole_elcrec.utils.compat import load_checkpoint


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


def load_trained(checkpoint_path: str | os.PathLike, device: str | None = None) -> Trained:
    """Load ``checkpoint_path`` and rebuild its config, data and model (eval mode) from the recorded run settings.

    The dataset files must still be where the run read them (its ``data_path``); ``device``
    (``cpu``, ``cuda``, ``cuda:1``) overrides the device the run used.
    """
    checkpoint = load_checkpoint(checkpoint_path, map_location=device or "cpu")
    spec = run_settings(checkpoint, checkpoint_path)
    overrides = {**spec.get("overrides", {}), "show_progress": False}
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


def user_histories(trained: Trained) -> dict[int, list[int]]:
    """Every user's full item sequence in time order (internal ids).

    RecBole keeps a sequential dataset as one row per target item (positions 2..n of each user)
    with the preceding items as a list, so a history is the first row's first item followed by
    every target in time order.
    """
    config = trained.config
    inter = trained.dataset.inter_feat
    users = inter[config["USER_ID_FIELD"]].numpy()
    order = np.lexsort((inter[config["TIME_FIELD"]].numpy(), users))  # by user, then time (stable)
    users = users[order]
    targets = inter[config["ITEM_ID_FIELD"]].numpy()[order]
    first_items = inter[config["ITEM_ID_FIELD"] + config["LIST_SUFFIX"]][:, 0].numpy()[order]
    starts = np.flatnonzero(np.diff(users)) + 1
    return {int(group_users[0]): [int(group_first[0]), *group_targets.tolist()] for group_users, group_first,
            group_targets in zip(np.split(users, starts), np.split(first_items, starts), np.split(targets, starts),
                                 strict=True)}


def training_histories(trained: Trained) -> dict[int, list[int]]:
    """Every training user's item sequence up to the end of their training part (internal ids, time order).

    The training data holds one row per training target (every prefix of the user's training
    part after the first item), so the training part is the first ``rows + 1`` items of the
    user's history; users without a training row are left out.
    """
    train_users = trained.train_data.dataset.inter_feat[trained.config["USER_ID_FIELD"]].numpy()
    rows_per_user = pd.Series(train_users).value_counts()
    histories = user_histories(trained)
    return {int(user): histories[int(user)][: int(rows) + 1] for user, rows in sorted(rows_per_user.items())}


def sequence_batch(trained: Trained, sequences: list[list[int]]) -> Interaction:
    """Left-aligned ``[B, L]`` item sequences (the last ``MAX_ITEM_LIST_LENGTH`` items) as an Interaction."""
    config = trained.config
    max_len = config["MAX_ITEM_LIST_LENGTH"]
    item_seq = torch.zeros(len(sequences), max_len, dtype=torch.long)
    lengths = torch.zeros(len(sequences), dtype=torch.long)
    for row, sequence in enumerate(sequences):
        recent = sequence[-max_len:]
        item_seq[row, : len(recent)] = torch.tensor(recent, dtype=torch.long)
        lengths[row] = len(recent)
    fields = {config["ITEM_ID_FIELD"] + config["LIST_SUFFIX"]: item_seq, config["ITEM_LIST_LENGTH_FIELD"]: lengths}
    return Interaction(fields).to(config["device"])
