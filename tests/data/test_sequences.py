"""Sequence-mode training data: one row per user (the paper's items[:-3] -> items[1:-2]), length-bucketed batches."""

import pytest
import torch
from recbole.data.interaction import Interaction

from recbole_elcrec.data.loaders import FastTrainingError
from recbole_elcrec.data.sequences import (
    NEXT_ITEM_WEIGHT,
    NEXT_ITEMS,
    UserSequenceLoader,
    next_item_weights,
    sequence_train_loader,
)
from tests.helpers import TINY_USERS, tiny_overrides, tiny_raw_sequences


def test_one_row_per_user_with_its_training_sequence_and_next_items(tiny_loaders, tiny_data_path):
    config, dataset, train, _, _ = tiny_loaders
    loader = sequence_train_loader(config, train)
    raw = tiny_raw_sequences(tiny_data_path)
    columns = loader.columns
    assert loader.sample_size == TINY_USERS
    for row, user in enumerate(dataset.id2token("user_id", columns["user_id"].numpy())):
        length = int(columns["item_length"][row])
        inputs = dataset.id2token("item_id", columns["item_id_list"][row, :length].numpy())
        targets = dataset.id2token("item_id", columns[NEXT_ITEMS][row, :length].numpy())
        assert list(inputs) == raw[user][:-3][-config["MAX_ITEM_LIST_LENGTH"]:]
        assert list(targets) == raw[user][1:-2][-config["MAX_ITEM_LIST_LENGTH"]:]
        assert not columns[NEXT_ITEMS][row, length:].any()


def make_loader(lengths: list[int], batch_size: int = 4, **options) -> UserSequenceLoader:
    n = len(lengths)
    items = torch.zeros(n, 10, dtype=torch.long)
    for row, length in enumerate(lengths):
        items[row, :length] = row + 1
    columns = {"user_id": torch.arange(1, n + 1), "item_id_list": items, "item_length": torch.tensor(lengths),
               NEXT_ITEMS: items.clone()}
    return UserSequenceLoader(columns, "item_length", batch_size, "cpu", **options)


def test_every_row_once_per_epoch_in_batches_of_similar_length_cut_to_the_longest():
    lengths = [1, 10, 2, 8] * 4  # four users of each of four lengths
    loader = make_loader(lengths, batch_size=4, length_buckets=4)
    batches = list(loader)
    assert len(batches) == len(loader) == 4
    assert sorted(torch.cat([batch["user_id"] for batch in batches]).tolist()) == list(range(1, 17))
    for batch in batches:
        assert batch["item_id_list"].shape[1] == batch["item_length"].max()  # cut to its longest sequence
        assert batch["item_length"].min() == batch["item_length"].max()  # one bucket: one length
    unbucketed = make_loader(lengths, batch_size=4, length_buckets=1)
    assert any(batch["item_length"].min() < batch["item_length"].max() for batch in unbucketed)


def test_plans_differ_between_epochs_and_replay_from_the_state():
    loader = make_loader(list(range(1, 21)) * 2, batch_size=4, length_buckets=2, seed=3)
    state = loader.state_dict()
    first = [batch["user_id"].tolist() for batch in loader]
    second = [batch["user_id"].tolist() for batch in loader]
    assert first != second
    loader.load_state_dict(state)
    assert [batch["user_id"].tolist() for batch in loader] == first


def test_ranks_share_one_plan_and_run_the_same_number_of_steps():
    plans = [make_loader([3] * 10, batch_size=4, seed=1, rank=rank, world_size=2).epoch_plan() for rank in (0, 1)]
    assert len(plans[0]) == len(plans[1]) == 3  # 10 rows, 2 per rank per batch: 5 batches padded to 6
    rows = torch.cat([torch.cat(plan) for plan in plans])
    assert set(rows.tolist()) == set(range(10))


@pytest.mark.parametrize(("options", "message"), [({"batch_size": 0}, "train_batch_size must be positive"),
                                                  ({"length_buckets": 0}, "length_buckets must be at least 1")])
def test_bad_settings_are_named(options, message):
    with pytest.raises(FastTrainingError, match=message):
        make_loader([1, 2, 3], **options)


def test_next_item_weights_hand_computed():
    lengths = torch.tensor([1, 3])
    assert next_item_weights(lengths, "target").tolist() == [0.5, 0.5]  # 1 / mean length (2)
    assert next_item_weights(lengths, "user").tolist() == pytest.approx([1.0, 1 / 3])
    with pytest.raises(ValueError, match="next_item_weighting must be one of"):
        next_item_weights(lengths, "position")


def epoch_loss(model, loader, weights: bool = True) -> float:
    """The sum of the batch losses of one epoch (``weights=False``: without the loader's target weights)."""
    total = 0.0
    for batch in loader:
        if not weights:
            batch = Interaction({key: value for key, value in batch.interaction.items() if key != NEXT_ITEM_WEIGHT})
        total += model.calculate_loss(batch).item()
    return total


@pytest.mark.parametrize("weighting", ["target", "user"])
def test_epoch_objective_does_not_depend_on_the_length_buckets(tiny_data_path, tmp_path, weighting):
    from recbole_elcrec.config import build_config
    from recbole_elcrec.quick_start.run import build_model, load_data

    config = build_config("SASRec", "tiny", [], tiny_overrides(tmp_path, tiny_data_path, train_batch_size=4,
                                                                next_item_weighting=weighting))
    _, train, _, _ = load_data(config)
    model = build_model(config, train).eval()  # no dropout: every target's loss is fixed
    with torch.no_grad():
        model.encoder.item_embedding.weight.mul_(20)  # targets' losses far apart, as after training
    config["length_buckets"] = 1
    plain = epoch_loss(model, sequence_train_loader(config, train))
    config["length_buckets"] = 3  # 20 users per bucket, 5 batches of 4 each
    bucketed = epoch_loss(model, sequence_train_loader(config, train))
    assert bucketed == pytest.approx(plain, rel=1e-5)
    if weighting == "target":  # a plain mean per batch over-weights the targets of batches of short sequences
        assert epoch_loss(model, sequence_train_loader(config, train), weights=False) != pytest.approx(plain, rel=1e-3)
