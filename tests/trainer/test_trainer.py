"""Trainer behaviour: a non-finite loss stops the run naming epoch and term, keeping good checkpoints; bf16 autocast."""

import os

import pytest
import torch

from recbole_elcrec.data.loaders import FastTrainingError
from recbole_elcrec.model.elcrec import ELCRec
from recbole_elcrec.quick_start.run import run
from recbole_elcrec.trainer.trainer import NonFiniteLossError, autocast_dtype, loss_term_advice
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


def test_nan_before_any_checkpoint_names_none_and_advises_the_terms_knob(tiny_data_path, tmp_path, monkeypatch):
    original = ELCRec.calculate_loss

    def poisoned(self, interaction):
        next_item, seq_cl, intent_cl, clustering = original(self, interaction)
        return next_item, seq_cl, intent_cl, clustering * float("nan")

    monkeypatch.setattr(ELCRec, "calculate_loss", poisoned)
    with pytest.raises(NonFiniteLossError) as raised:
        run("ELCRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path))
    message = str(raised.value)
    assert "at epoch 0, batch 0" in message and "No checkpoint was written yet" in message
    assert "saved/" not in message and not list((tmp_path / "saved").glob("*.pth"))
    assert message.endswith("Lower alpha (the weight of this term).") and "learning_rate" not in message


@pytest.mark.parametrize(("term", "keys", "advice"), [
    ("next_item", {"alpha": 1}, "Lower learning_rate."),
    ("cluster", {"alpha": 1}, "Lower alpha (the weight of this term)."),
    ("seq_cl", {"ccl_weight": 0.1, "temperature": 0.5},
     "Lower ccl_weight (the weight of this term) or raise temperature."),
    ("seq_cl", {"cl_weight": 0.1, "temperature": 1}, "Lower cl_weight (the weight of this term) or raise temperature."),
    ("intent_cl", {"cf_weight": 0.1, "intent_cf_weight": 0.1, "temperature": 1},
     "Lower intent_cf_weight (the weight of this term) or raise temperature."),
    ("loss", {}, "Lower learning_rate."),
])
def test_advice_names_the_setting_of_the_term(term, keys, advice):
    assert loss_term_advice(term, keys) == advice
