"""Sequence-mode training data: one row per user holding its training sequence and the next item at every position."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import torch
from recbole.data.interaction import Interaction

from recbole_elcrec.data.loaders import FastTrainingError, rank_and_world_size, training_dataset

NEXT_ITEMS = "next_item_list"  # [B, l]: the item that follows each position of ITEM_SEQ (0 after the sequence)
NEXT_ITEM_WEIGHT = "next_item_weight"  # [B]: the weight of each of the row's targets in a batch's next-item loss
TRAIN_MODES = ("sequence", "prefix")
NEXT_ITEM_WEIGHTINGS = ("target", "user")


def longest_sequence_per_user(users: torch.Tensor, lengths: torch.Tensor,
                              times: torch.Tensor | None = None) -> torch.Tensor:
    """Row index of one training sequence per user: the longest, the latest target on ties.

    RecBole turns every prefix of a user's training items into a row; the longest (latest) one is the
    user's whole training history, the sequence ICLRec clusters (``items[:-3]`` in its code).
    ``times`` (the targets' timestamps) breaks ties between windows truncated to the same length.
    """
    order = torch.arange(len(users), device=users.device)
    for key in (times, lengths, users):  # stable sorts, least significant key first
        if key is not None:
            order = order[torch.sort(key[order], stable=True).indices]
    sorted_users = users[order]
    last_of_user = torch.ones_like(sorted_users, dtype=torch.bool)
    last_of_user[:-1] = sorted_users[1:] != sorted_users[:-1]
    return order[last_of_user]


def user_training_sequences(inter_feat: Interaction, fields: dict[str, str]) -> dict[str, torch.Tensor]:
    """One row per user from RecBole's prefix rows: input ``i_0 .. i_{n-1}`` and next items ``i_1 .. i_n``.

    RecBole's training rows of a user are ``(i_0 .. i_{t-1}) -> i_t``; the last one holds the last
    MAX_ITEM_LIST_LENGTH items before the user's last training target, so its sequence followed by
    that target is the user's training sequence: input ``items[:-3]`` and targets ``items[1:-2]`` of the
    whole sequence, exactly what the paper's code (and ICLRec's, and SASRec's) trains on.
    ``fields`` names the ``user``, ``item``, ``item_seq``, ``length`` and (optional) ``time`` columns.
    """
    times = inter_feat[fields["time"]] if fields.get("time") in inter_feat else None
    rows = longest_sequence_per_user(inter_feat[fields["user"]], inter_feat[fields["length"]], times)
    item_seq = inter_feat[fields["item_seq"]][rows]  # [U, L]
    lengths = inter_feat[fields["length"]][rows]  # [U]
    next_items = torch.zeros_like(item_seq)
    next_items[:, :-1] = item_seq[:, 1:]
    next_items[torch.arange(len(rows)), lengths - 1] = inter_feat[fields["item"]][rows]  # after the last input
    return {fields["user"]: inter_feat[fields["user"]][rows], fields["item_seq"]: item_seq,
            fields["length"]: lengths, NEXT_ITEMS: next_items}


def next_item_weights(lengths: torch.Tensor, weighting: str) -> torch.Tensor:
    """``[U]`` weight of each next-item target of every user; a batch's loss is ``sum w CE / users in batch``.

    ``target``: ``1 / mean(lengths)`` for everyone, so every target of the data weighs the same whatever
    batch it lands in (the objective of prefix rows, of the paper's code and of plain shuffled batches:
    batches of long and of short sequences then contribute in proportion to their targets).
    ``user``: ``1 / lengths``, so every user weighs the same, whatever the length of their sequence.
    A plain mean over each batch's targets would be neither once batches come from length buckets: it
    gives the targets of a batch of short sequences several times the weight of a long batch's.
    """
    if weighting not in NEXT_ITEM_WEIGHTINGS:
        raise ValueError(f"next_item_weighting must be one of {NEXT_ITEM_WEIGHTINGS}, got {weighting!r}")
    lengths = lengths.float()
    return 1.0 / lengths if weighting == "user" else torch.full_like(lengths, 1.0 / float(lengths.mean()))


class UserSequenceLoader:
    """Training batches of whole user sequences, drawn from length buckets and cut to their longest sequence.

    Every epoch the users are ordered by length (at random among equal lengths) and split into
    ``length_buckets`` buckets of equal size (fewer if a bucket would hold less than a batch); each
    bucket is shuffled and cut into batches, and the batches of all buckets are shuffled together.
    Every user is seen once per epoch and a batch holds users of similar length, so little of it is
    padding; ``length_buckets=1`` gives plain shuffled
    batches. The rows live on ``device``; batch plans are made on the host from the lengths, so cutting
    a batch needs no device synchronisation. With ``world_size > 1`` rank ``r`` takes batches
    ``r, r + world_size, ...`` of the same plan (its generator is seeded alike on every rank); the plan
    is padded with its first batches so that every rank runs the same number of steps.
    Offers what RecBole's trainer reads (``dataset``, ``shuffle``, ``step``, ``batch_size``,
    ``sample_size``, ``len()`` in batches) and ``state_dict()`` for exact resumption.
    """

    def __init__(self, columns: dict[str, torch.Tensor], length_field: str, batch_size: int,
                 device: torch.device | str, seed: int = 0, length_buckets: int = 8, shuffle: bool = True,
                 rank: int = 0, world_size: int = 1, dataset: Any = None) -> None:
        if batch_size < 1:
            raise FastTrainingError(f"train_batch_size must be positive, got {batch_size}")
        if length_buckets < 1:
            raise FastTrainingError(f"length_buckets must be at least 1, got {length_buckets}")
        if not 0 <= rank < world_size:
            raise FastTrainingError(f"rank {rank} is outside world_size {world_size}")
        self.device = torch.device(device)
        self.lengths = columns[length_field].cpu()
        self.columns = {name: tensor.to(self.device) for name, tensor in columns.items()}
        self.sample_size = len(self.lengths)
        self.shuffle = shuffle
        self.rank, self.world_size = rank, world_size
        self.step = self.batch_size = max(1, batch_size // world_size)
        self.length_buckets = max(1, min(length_buckets, self.sample_size // self.batch_size))  # >= a batch each
        self.generator = torch.Generator()
        self.generator.manual_seed(int(seed))
        self._dataset = dataset

    @property
    def dataset(self) -> Any:
        return self._dataset

    def _buckets(self) -> tuple[torch.Tensor, ...]:
        """Row indices of each length bucket, shuffled within the bucket."""
        if not self.shuffle:
            return torch.tensor_split(torch.sort(self.lengths, stable=True).indices, self.length_buckets)
        tie_break = torch.rand(self.sample_size, generator=self.generator, dtype=torch.float64)
        order = torch.argsort(self.lengths.double() + 0.5 * tie_break)  # by length, at random among equals
        return tuple(bucket[torch.randperm(len(bucket), generator=self.generator)]
                     for bucket in torch.tensor_split(order, self.length_buckets))

    def epoch_plan(self) -> list[torch.Tensor]:
        """This rank's batches (row indices on the host) for the next epoch; advances the generator."""
        batches = [batch for bucket in self._buckets() for batch in torch.split(bucket, self.batch_size)]
        if self.shuffle:
            batches = [batches[index] for index in torch.randperm(len(batches), generator=self.generator).tolist()]
        steps = math.ceil(len(batches) / self.world_size)
        padded = batches + batches[: steps * self.world_size - len(batches)]
        return padded[self.rank :: self.world_size]

    def __len__(self) -> int:
        bucket_sizes = [math.ceil(self.sample_size / self.length_buckets)] * (self.sample_size % self.length_buckets)
        bucket_sizes += [self.sample_size // self.length_buckets] * (self.length_buckets - len(bucket_sizes))
        batches = sum(math.ceil(size / self.batch_size) for size in bucket_sizes)
        return math.ceil(batches / self.world_size)

    def batch(self, rows: torch.Tensor) -> Interaction:
        """The rows as one ``Interaction``, every ``[B, L]`` column cut to the batch's longest sequence."""
        longest = int(self.lengths[rows].max())
        index = rows.to(self.device)
        return Interaction({name: column.index_select(0, index)[:, :longest] if column.dim() == 2
                            else column.index_select(0, index) for name, column in self.columns.items()})

    def __iter__(self) -> Iterator[Interaction]:
        for rows in self.epoch_plan():
            yield self.batch(rows)

    def state_dict(self) -> dict[str, torch.Tensor]:
        """The batch-plan generator's state: restoring it replays the following epochs exactly."""
        return {"generator": self.generator.get_state()}

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.generator.set_state(state["generator"])


def sequence_fields(config: Any) -> dict[str, str]:
    """The RecBole field names ``user_training_sequences`` reads, from ``config``."""
    return {"user": config["USER_ID_FIELD"], "item": config["ITEM_ID_FIELD"], "time": config["TIME_FIELD"],
            "item_seq": config["ITEM_ID_FIELD"] + config["LIST_SUFFIX"], "length": config["ITEM_LIST_LENGTH_FIELD"]}


def sequence_train_loader(config: Any, train_data: Any, rank: int | None = None,
                          world_size: int | None = None) -> UserSequenceLoader:
    """The sequence-mode training loader for ``config`` built from RecBole's training data (prefix rows).

    ``rank`` and ``world_size`` default to the config's (one process outside distributed training).
    """
    dataset = training_dataset(train_data)
    fields = sequence_fields(config)
    if rank is None or world_size is None:
        rank, world_size = rank_and_world_size(config)
    columns = user_training_sequences(dataset.inter_feat, fields)
    columns[NEXT_ITEM_WEIGHT] = next_item_weights(columns[fields["length"]], config["next_item_weighting"] or "target")
    return UserSequenceLoader(
        columns, fields["length"], int(config["train_batch_size"]),
        config["device"], seed=int(config["seed"]), length_buckets=int(config["length_buckets"] or 1),
        shuffle=bool(getattr(train_data, "shuffle", True)), rank=rank, world_size=world_size, dataset=dataset,
    )
