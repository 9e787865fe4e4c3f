"""Users' item sequences of a restored run (internal ids, time order) and padded sequence batches for a model.

``trained`` is a restored run (``recbole_elcrec.quick_start.restore.Trained``): anything with its ``config``,
``dataset`` and ``train_data``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import torch
from recbole.data.interaction import Interaction


def user_histories(trained: Any) -> dict[int, list[int]]:
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


def training_histories(trained: Any) -> dict[int, list[int]]:
    """Every training user's item sequence up to the end of their training part (internal ids, time order).

    The training data holds one row per training target (every prefix of the user's training
    part after the first item), so the training part is the first ``rows + 1`` items of the
    user's history; users without a training row are left out.
    """
    train_users = trained.train_data.dataset.inter_feat[trained.config["USER_ID_FIELD"]].numpy()
    rows_per_user = pd.Series(train_users).value_counts()
    histories = user_histories(trained)
    return {int(user): histories[int(user)][: int(rows) + 1] for user, rows in sorted(rows_per_user.items())}


def sequence_batch(trained: Any, sequences: list[list[int]]) -> Interaction:
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
