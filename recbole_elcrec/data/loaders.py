"""Device-resident training data: whole-tensor batches sampled on the accelerator instead of RecBole's CPU loader."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator
from typing import Any

import torch
from recbole.data.interaction import Interaction


class FastTrainingError(ValueError):
    """The training data or settings cannot use the device-resident loader; the message says why."""


def training_dataset(train_data: Any) -> Any:
    """The RecBole dataset behind a training ``DataLoader`` (or the dataset itself)."""
    for name in ("_dataset", "dataset"):
        if hasattr(train_data, name):
            return getattr(train_data, name)
    return train_data


def check_plain_batches(train_data: Any) -> None:
    """Refuse loaders whose batches are more than rows of ``inter_feat`` (negative sampling, transforms)."""
    neg_sample_args = getattr(train_data, "neg_sample_args", None) or {}
    if neg_sample_args.get("distribution", "none") != "none":
        raise FastTrainingError(
            "fast_train needs training without negative sampling (e.g. loss_type: CE); "
            f"got train_neg_sample_args={neg_sample_args}"
        )
    transform = getattr(train_data, "transform", None)
    if transform is not None and type(transform).__name__ != "Equal":
        raise FastTrainingError(f"fast_train does not apply data transforms; got {type(transform).__name__}")


def shard_indices(order: torch.Tensor, rank: int, world_size: int) -> torch.Tensor:
    """Rank ``rank``'s equal share of ``order``; the tail wraps around so every rank gets the same count."""
    if world_size == 1:
        return order
    per_rank = math.ceil(len(order) / world_size)
    padded = torch.cat([order, order[: per_rank * world_size - len(order)]])
    return padded[rank::world_size]


class DeviceBatchLoader:
    """Training batches of RecBole ``Interaction`` objects cut from tensors kept on ``device``.

    The training rows (``inter_feat`` of the augmented sequential dataset) are copied to the device
    once; every epoch a ``randperm`` on the device orders them and ``index_select`` cuts each batch.
    With ``world_size > 1`` each rank takes an equal, disjoint share of the same permutation (the
    generator is seeded alike on every rank) and ``batch_size`` is split across ranks as RecBole does.
    Offers what RecBole's trainers and ``Collector.data_collect`` read: ``dataset``, ``_dataset``,
    ``shuffle``, ``step``, ``batch_size``, ``sample_size`` and ``len()`` in batches.
    """

    def __init__(self, train_data: Any, batch_size: int, device: torch.device | str, shuffle: bool = True,
                 seed: int = 0, rank: int = 0, world_size: int = 1) -> None:
        check_plain_batches(train_data)
        if batch_size < 1:
            raise FastTrainingError(f"batch_size must be positive, got {batch_size}")
        if not 0 <= rank < world_size:
            raise FastTrainingError(f"rank {rank} is outside world_size {world_size}")
        self._dataset = training_dataset(train_data)
        self.device = torch.device(device)
        self.shuffle = shuffle
        self.rank, self.world_size = rank, world_size
        self.step = self.batch_size = self._batch_size = max(1, batch_size // world_size)
        self.columns = self._device_columns(self._dataset.inter_feat)
        self.sample_size = len(next(iter(self.columns.values())))
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(int(seed))

    def _device_columns(self, inter_feat: Interaction) -> dict[str, torch.Tensor]:
        return {name: tensor.to(self.device) for name, tensor in inter_feat.interaction.items()}

    @property
    def dataset(self) -> Any:
        return self._dataset

    def rows_per_epoch(self) -> int:
        """Training rows this rank sees in one epoch."""
        return math.ceil(self.sample_size / self.world_size)

    def __len__(self) -> int:
        return math.ceil(self.rows_per_epoch() / self.batch_size)

    def epoch_order(self) -> torch.Tensor:
        """This rank's row indices for the next epoch, on the device."""
        if self.shuffle:
            order = torch.randperm(self.sample_size, generator=self.generator, device=self.device)
        else:
            order = torch.arange(self.sample_size, device=self.device)
        return shard_indices(order, self.rank, self.world_size)

    def batch(self, indices: torch.Tensor) -> Interaction:
        """The rows ``indices`` of every column as one ``Interaction``."""
        return Interaction({name: column.index_select(0, indices) for name, column in self.columns.items()})

    def __iter__(self) -> Iterator[Interaction]:
        order = self.epoch_order()
        for start in range(0, len(order), self.batch_size):
            yield self.batch(order[start:start + self.batch_size])

    def state_dict(self) -> dict[str, Any]:
        """What decides the next epochs' order: the shuffling generator's state (saved in resumable checkpoints)."""
        return {"generator": self.generator.get_state(), "sample_size": self.sample_size, "shuffle": self.shuffle,
                "world_size": self.world_size}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Continue from a ``state_dict``: the next epoch is ordered as it would have been; refuses other data."""
        if state.get("sample_size") != self.sample_size or state.get("world_size", 1) != self.world_size:
            raise FastTrainingError(
                f"the saved loader state is of {state.get('sample_size')} training rows on {state.get('world_size')} "
                f"process(es), this loader has {self.sample_size} rows on {self.world_size}"
            )
        self.generator.set_state(state["generator"].cpu())


def sequence_encoder(model: torch.nn.Module) -> torch.nn.Module | None:
    """The model's sequence encoder: ``encoder`` (this package's models) or ``trm_encoder`` (RecBole's SASRec)."""
    for name in ("encoder", "trm_encoder"):
        module = getattr(model, name, None)
        if isinstance(module, torch.nn.Module):
            return module
    return None


def compile_encoder(model: torch.nn.Module, device: torch.device | str) -> bool:
    """``torch.compile`` the model's encoder in place (state-dict keys unchanged); True if it was compiled.

    Only on CUDA: on CPU the inductor backend needs a C++ toolchain and rarely pays off for these sizes.
    """
    encoder = sequence_encoder(model)
    if encoder is None or torch.device(device).type != "cuda":
        logging.getLogger().warning("compile: skipped (needs a CUDA device and a model with an encoder)")
        return False
    encoder.compile()
    return True


def fast_train_loader(config: Any, train_data: Any, model: torch.nn.Module | None = None) -> DeviceBatchLoader:
    """The device-resident loader for ``config``'s training settings; compiles the encoder if ``compile``."""
    if model is not None and config["compile"]:
        compile_encoder(model, config["device"])
    rank, world_size = rank_and_world_size(config)
    return DeviceBatchLoader(
        train_data, batch_size=int(config["train_batch_size"]), device=config["device"],
        shuffle=bool(getattr(train_data, "shuffle", True)), seed=int(config["seed"]),
        rank=rank, world_size=world_size,
    )


def rank_and_world_size(config: Any) -> tuple[int, int]:
    """This process's rank and the number of processes: ``(0, 1)`` outside distributed training."""
    if config["single_spec"]:
        return 0, 1
    return int(config["local_rank"] or 0), int(config["world_size"] or 1)
