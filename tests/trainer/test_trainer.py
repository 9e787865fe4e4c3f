"""Trainer behaviour: a non-finite loss stops the run naming epoch and term, keeping good checkpoints; bf16 autocast."""

import os

import pytest
import torch

from recbole_elcrec.data.loaders import FastTrainingError
from recbole_elcrec.model.elcrec import ELCRec
from recbole_elcrec.quick_start.run import run
from recbole_elcrec.trainer.trainer import NonFiniteLossError, autocast_dtype
from recbole_elcrec.utils.compat import load_checkpoint
from tests.helpers import TINY_DATASET, tiny_overrides


def test_nan_loss_stops_with_epoch_and_term_and_keeps_checkpoints(tiny_data_path, tmp_path, monkeypatch):
    calls = {"n": 0}
    original = ELCRec.calculate_loss

    def poisoned(self, interaction):
        calls["n"] += 1
        next_item, seq_cl, intent_cl, clustering = original(self, interaction)
        if self.training and calls["n"] > 1:  # sequence mode: one batch of the 60 tiny users per epoch
            clustering = clustering * float("nan")
        return next_item, seq_cl, intent_cl, clustering

    monkeypatch.setattr(ELCRec, "calculate_loss", poisoned)
    with pytest.raises(NonFiniteLossError, match=r"loss term 'cluster' became nan at epoch 1, batch 0") as raised:
        run("ELCRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, train_batch_size=256))
    last = str(raised.value).split("Last good checkpoints: ")[1].split(" (resume)")[0]
    assert os.path.exists(last)
    checkpoint = load_checkpoint(last)
    assert checkpoint["epoch"] == 0
    weights = [tensor for tensor in checkpoint["state_dict"].values() if tensor.is_floating_point()]
    assert all(torch.isfinite(tensor).all() for tensor in weights)


def test_autocast_dtype_accepts_bf16_and_rejects_others():
    assert autocast_dtype(None, "cpu") is None and autocast_dtype("none", "cpu") is None
    assert autocast_dtype("bf16", "cpu") is torch.bfloat16
    with pytest.raises(FastTrainingError, match="amp_dtype"):
        autocast_dtype("fp16", "cpu")
