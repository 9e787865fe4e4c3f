"""Evaluation protocols: the paper's full ranking without each user's earlier items, or RecBole's own ranking."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from recbole.data.dataloader.general_dataloader import FullSortEvalDataLoader
from recbole.utils import ModelType

PAPER = "paper"
RECBOLE = "recbole"
PROTOCOLS = {
    PAPER: "full ranking of all items with every item the user had before the held-out one removed "
           "(the paper's, ICLRec's and later work's protocol)",
    RECBOLE: "RecBole 1.2.1's full ranking: a sequential model's earlier items stay in the ranking",
}


class ProtocolError(ValueError):
    """An evaluation protocol that does not exist; the message lists the known ones."""


def check_protocol(name: Any) -> str:
    """``name`` when it names a protocol, else ProtocolError listing them."""
    if name not in PROTOCOLS:
        known = "; ".join(f"'{key}': {text}" for key, text in PROTOCOLS.items())
        raise ProtocolError(f"eval_protocol must be one of {tuple(PROTOCOLS)} ({known}), got {name!r}")
    return name


def protocol_of(config: Any) -> str:
    """The run's evaluation protocol (``eval_protocol``; the paper's when unset)."""
    return check_protocol(config["eval_protocol"] or PAPER)


@dataclass(frozen=True)
class EarlierItems:
    """For every row of an evaluation split, the items its user had before the held-out item (CSR layout).

    ``items[starts[r] : starts[r] + counts[r]]`` are row ``r``'s earlier items (internal ids).
    """

    items: np.ndarray  # [total]
    starts: np.ndarray  # [rows]
    counts: np.ndarray  # [rows]

    def batch_index(self, rows: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
        """``(row in batch, item)`` pairs of the rows' earlier items: RecBole's ``history_index``."""
        counts = self.counts[rows]
        batch_row = np.repeat(np.arange(len(rows)), counts)
        within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)  # 0..count-1 per row
        items = self.items[np.repeat(self.starts[rows], counts) + within]
        return torch.from_numpy(batch_row), torch.from_numpy(items)


def earlier_items(splits: list[Any], uid_field: str, iid_field: str, list_field: str) -> list[EarlierItems]:
    """Earlier items of every row of each split (train, valid, test) of a sequential RecBole dataset.

    RecBole turns a user's sequence ``i_0 .. i_n`` into rows ``(i_0 .. i_{t-1}) -> i_t`` for ``t >= 1``
    and splits them in time order (the training rows first, then validation, then test). A row's target
    is therefore item ``t = 1 + (rank of the row among its user's rows over all splits)`` of the sequence,
    and its earlier items are ``i_0 .. i_{t-1}``: the whole history, not only the last MAX_ITEM_LIST_LENGTH.
    """
    users = np.concatenate([split.inter_feat[uid_field].numpy() for split in splits])
    targets = np.concatenate([split.inter_feat[iid_field].numpy() for split in splits])
    first_items = np.concatenate([split.inter_feat[list_field][:, 0].numpy() for split in splits])
    order = np.lexsort((np.arange(len(users)), users))  # by user; split order, then time, within a user
    sorted_users = users[order]
    new_user = np.r_[True, sorted_users[1:] != sorted_users[:-1]]
    user_start = np.flatnonzero(new_user)  # positions in `order`
    rank = np.arange(len(order)) - np.repeat(user_start, np.diff(np.r_[user_start, len(order)]))
    # every user's sequence as one block: its first item, then every target in order
    target_slot = np.arange(len(order)) + np.cumsum(new_user)  # slot of each sorted row's target
    sequences = np.empty(len(order) + len(user_start), dtype=np.int64)
    sequences[target_slot] = targets[order]
    sequences[target_slot[user_start] - 1] = first_items[order[user_start]]
    starts, counts = np.empty(len(users), dtype=np.int64), np.empty(len(users), dtype=np.int64)
    starts[order] = target_slot - rank - 1
    counts[order] = rank + 1
    bounds = np.cumsum([0] + [len(split.inter_feat) for split in splits])
    return [EarlierItems(sequences, starts[lo:hi], counts[lo:hi])
            for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]


class SequentialFullSortLoader(FullSortEvalDataLoader):
    """RecBole's full-sort evaluation of a sequential model, rows ordered by sequence length.

    With ``history`` (the paper's protocol) each batch also carries its rows' earlier items as
    ``history_index``, whose scores RecBole's trainer sets to minus infinity before ranking, so RecBole's
    ``Collector`` and evaluator compute every metric on the paper's ranking. Rows are visited from the
    shortest sequence to the longest, so this package's models, which cut a batch to its longest
    sequence, encode little padding; metrics are means over rows and do not depend on the order.
    """

    def __init__(self, config, dataset, sampler, history: EarlierItems | None):
        self.history = history
        lengths = dataset.inter_feat[dataset.item_list_length_field].numpy()
        self.row_order = np.argsort(lengths, kind="stable")
        super().__init__(config, dataset, sampler, shuffle=False)

    def collate_fn(self, index):
        rows = self.row_order[np.asarray(index)]
        interaction = self.transform(self._dataset, self._dataset[rows])
        history = self.history.batch_index(rows) if self.history is not None else None
        return interaction, history, torch.arange(len(interaction)), interaction[self._dataset.iid_field]


def protocol_loaders(config, train_data, valid_data, test_data) -> tuple[Any, Any]:
    """The validation and test loaders of the run's protocol.

    Non-sequential models keep RecBole's loaders: RecBole already removes their users' earlier
    (training, and for test validation) items, which is the paper's protocol.
    """
    protocol = protocol_of(config)
    full_ranking = isinstance(valid_data, FullSortEvalDataLoader) and isinstance(test_data, FullSortEvalDataLoader)
    if config["MODEL_TYPE"] != ModelType.SEQUENTIAL or not full_ranking:
        return valid_data, test_data
    splits = [train_data.dataset, valid_data.dataset, test_data.dataset]
    if protocol == PAPER:
        list_field = config["ITEM_ID_FIELD"] + config["LIST_SUFFIX"]
        _, valid_history, test_history = earlier_items(splits, config["USER_ID_FIELD"], config["ITEM_ID_FIELD"],
                                                       list_field)
    else:
        valid_history = test_history = None
    return (SequentialFullSortLoader(config, valid_data.dataset, valid_data._sampler, valid_history),
            SequentialFullSortLoader(config, test_data.dataset, test_data._sampler, test_history))
