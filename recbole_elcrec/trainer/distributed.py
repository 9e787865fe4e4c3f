"""Data-parallel (DDP) trainers: losses through DDP, replicas re-synchronised from rank 0, rank 0 writes checkpoints."""

from __future__ import annotations

import hashlib
from typing import Any

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from recbole_elcrec.trainer.trainer import ELCRecTrainer


class LossModule(nn.Module):
    """The model with ``forward`` = ``calculate_loss``, so that DDP's gradient all-reduce covers the loss."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, interaction) -> Any:
        return self.model.calculate_loss(interaction)


def broadcast_state_(model: nn.Module, src: int = 0) -> None:
    """Overwrite every parameter and buffer with rank ``src``'s values (bool buffers travel as uint8)."""
    with torch.no_grad():
        for tensor in model.state_dict().values():
            carrier = tensor.to(torch.uint8) if tensor.dtype == torch.bool else tensor
            dist.broadcast(carrier, src=src)
            if carrier is not tensor:
                tensor.copy_(carrier.bool())


def state_digests(model: nn.Module) -> dict[str, str]:
    """sha256 of every parameter's and buffer's bytes: equal digests mean bit-identical replicas."""
    return {name: hashlib.sha256(tensor.detach().cpu().contiguous().view(torch.uint8).numpy().tobytes()).hexdigest()
            for name, tensor in model.state_dict().items()}


class DataParallelMixin:
    """Mixed in front of ``ELCRecTrainer``: losses through DDP, replicas re-synchronised, rank 0 writes.

    Per-epoch work that each rank does on its own shard (centre seeding, adaptive centres, ICLRec's
    E-step) is overwritten by rank 0's result, so every replica, the cluster centres included, stays
    identical; gradients, centres' included, are averaged by DDP on every backward.
    """

    ddp_loss: DistributedDataParallel

    def attach_process_group(self, device: torch.device) -> None:
        """Wrap the model for DDP and adopt rank 0's checkpoint file names."""
        device_ids = [device.index] if device.type == "cuda" else None
        self.ddp_loss = DistributedDataParallel(LossModule(self.model), device_ids=device_ids)
        names = [self.saved_model_file, self.last_checkpoint_file]
        dist.broadcast_object_list(names, src=0)
        self.saved_model_file, self.last_checkpoint_file = names

    def _before_training(self, train_data) -> None:
        super()._before_training(train_data)
        broadcast_state_(self.model)

    def _before_epoch(self, train_data, epoch_idx: int) -> dict[str, Any]:
        extras = super()._before_epoch(train_data, epoch_idx)
        broadcast_state_(self.model)
        return extras

    def _train_epoch(self, train_data, epoch_idx, loss_func=None, show_progress=False):
        return super()._train_epoch(train_data, epoch_idx, loss_func=loss_func or self.ddp_loss,
                                    show_progress=show_progress)

    def fit(self, *args, **kwargs):
        outcome = super().fit(*args, **kwargs)
        dist.barrier()  # rank 0's best checkpoint is on disk before any rank reloads it
        return outcome


def data_parallel_trainer_class(trainer_class: type) -> type:
    """``trainer_class`` (ELCRecTrainer or a subclass) with DDP training."""
    if not issubclass(trainer_class, ELCRecTrainer):
        raise ValueError(f"distributed training supports this package's models (ELCRecTrainer), "
                         f"not {trainer_class.__name__}")
    return type(f"DataParallel{trainer_class.__name__}", (DataParallelMixin, trainer_class), {})
