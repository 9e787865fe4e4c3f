"""Checkpoint restore: model, data and user histories rebuilt from a checkpoint's run settings."""

import pandas as pd
import pytest
import torch

from recbole_elcrec.data.histories import training_histories, user_histories
from recbole_elcrec.data.prepare import DatasetNotFoundError
from recbole_elcrec.quick_start.restore import load_trained
from recbole_elcrec.utils.compat import load_checkpoint


def test_load_trained_rebuilds_model_and_data(tiny_checkpoint, tiny_data_path):
    trained = load_trained(tiny_checkpoint, device="cpu")
    assert not trained.model.training
    saved = load_checkpoint(tiny_checkpoint)["state_dict"]
    assert torch.equal(trained.model.cluster_centres.detach(), saved["cluster_centres"])
    assert trained.train_data is not None and trained.test_data is not None
    raw = pd.read_csv(tiny_data_path / "tiny" / "tiny.inter", sep="\t", dtype=str)
    history = user_histories(trained)[trained.dataset.token2id("user_id", "7")]
    expected = raw.loc[raw["user_id:token"] == "7", "item_id:token"].tolist()
    assert list(trained.dataset.id2token("item_id", history)) == expected  # first item included
    assert training_histories(trained)[trained.dataset.token2id("user_id", "7")] == history[:-2]  # leave-one-out


def test_load_trained_names_missing_data(tiny_checkpoint, tmp_path):
    checkpoint = load_checkpoint(tiny_checkpoint)
    checkpoint["run_spec"]["overrides"]["data_path"] = str(tmp_path / "moved")
    moved = tmp_path / "moved.pth"
    torch.save(checkpoint, moved)
    with pytest.raises(DatasetNotFoundError, match=r"cannot rebuild the data of checkpoint .*moved\.pth"):
        load_trained(moved)
