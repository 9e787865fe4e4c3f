"""The device-resident training loader: every row once per epoch, rank shards, refusals, compile on CPU."""

import pytest
import torch
from recbole.data.interaction import Interaction

from recbole_elcrec.config import build_config
from recbole_elcrec.data.loaders import DeviceBatchLoader, FastTrainingError, compile_encoder, shard_indices
from recbole_elcrec.quick_start.run import load_data
from tests.helpers import TINY_DATASET, tiny_overrides


@pytest.fixture(scope="module")
def tiny_train_data(tiny_data_path, tmp_path_factory):
    config = build_config("ELCRec", TINY_DATASET, overrides=tiny_overrides(tmp_path_factory.mktemp("fast"),
                                                                           tiny_data_path))
    return load_data(config)[1]


def row_keys(batch) -> list[tuple[int, int]]:
    """(user, prefix length): unique for every training row of the sequential dataset."""
    return list(zip(batch["user_id"].tolist(), batch["item_length"].tolist(), strict=True))


def test_loader_covers_every_row_once_per_epoch_on_the_device(tiny_train_data):
    loader = DeviceBatchLoader(tiny_train_data, batch_size=64, device="cpu", seed=3)
    every_row = row_keys(tiny_train_data.dataset.inter_feat)
    assert len(set(every_row)) == len(every_row)
    orders = []
    for _ in range(2):
        batches = list(loader)
        assert len(batches) == len(loader) == -(-len(every_row) // 64)
        assert all(isinstance(batch, Interaction) and batch["item_id_list"].device.type == "cpu" for batch in batches)
        seen = [key for batch in batches for key in row_keys(batch)]
        assert sorted(seen) == sorted(every_row)
        orders.append(seen)
    assert orders[0] != orders[1]


def test_loader_batches_match_recbole_rows(tiny_train_data):
    loader = DeviceBatchLoader(tiny_train_data, batch_size=32, device=torch.device("cpu"), shuffle=False)
    first = next(iter(loader))
    assert set(first.columns) == set(tiny_train_data.dataset.inter_feat.columns)
    assert torch.equal(first["item_id"], tiny_train_data.dataset.inter_feat["item_id"][:32])


def test_ranks_share_one_epoch_without_overlap(tiny_train_data):
    shards = [DeviceBatchLoader(tiny_train_data, 64, "cpu", seed=1, rank=rank, world_size=2) for rank in (0, 1)]
    rows = [{key for batch in shard for key in row_keys(batch)} for shard in shards]
    assert len(tiny_train_data.dataset) % 2 == 0 and shards[0].batch_size == 32 and len(shards[0]) == len(shards[1])
    assert not rows[0] & rows[1]
    assert rows[0] | rows[1] == set(row_keys(tiny_train_data.dataset.inter_feat))


def test_shard_indices_pads_to_equal_shares():
    shards = [shard_indices(torch.arange(5), rank, 2) for rank in (0, 1)]
    assert shards[0].tolist() == [0, 2, 4] and shards[1].tolist() == [1, 3, 0]


def test_loader_refuses_negative_sampling(tiny_train_data):
    class Sampled:
        neg_sample_args = {"distribution": "uniform"}
        dataset = tiny_train_data.dataset

    with pytest.raises(FastTrainingError, match="negative sampling"):
        DeviceBatchLoader(Sampled(), 64, "cpu")


def test_compile_is_skipped_on_cpu():
    assert compile_encoder(torch.nn.Sequential(), "cpu") is False


def test_loader_state_dict_continues_the_same_order(tiny_train_data):
    loader = DeviceBatchLoader(tiny_train_data, batch_size=64, device="cpu", seed=5)
    list(loader)  # one epoch
    state = loader.state_dict()
    expected = [row_keys(batch) for batch in loader]  # the second epoch
    fresh = DeviceBatchLoader(tiny_train_data, batch_size=64, device="cpu", seed=5)
    fresh.load_state_dict(state)
    assert [row_keys(batch) for batch in fresh] == expected
    with pytest.raises(FastTrainingError, match="saved loader state is of 3 training rows"):
        fresh.load_state_dict({**state, "sample_size": 3})
