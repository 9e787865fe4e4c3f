"""Planted-intent generator: shapes, purity, learnable walks, determinism, scale and the written files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recbole_elcrec.commands.synthetic import main
from recbole_elcrec.data.prepare import prepare_dataset
from recbole_elcrec.data.synthetic import generate_planted_intents, intent_blocks, write_planted_dataset


def first_action_of_each_user(user_ids: np.ndarray) -> np.ndarray:
    return np.r_[0, np.flatnonzero(np.diff(user_ids)) + 1]


def test_shapes_lengths_and_positions():
    planted = generate_planted_intents(200, 100, 4, min_len=5, max_len=20, seed=1)
    n_actions = len(planted.item_ids)
    assert planted.user_ids.shape == planted.positions.shape == (n_actions,)
    assert planted.intent_of_user.shape == (200,) and planted.n_users == 200
    assert set(planted.intent_of_user.tolist()) == {0, 1, 2, 3}
    lengths = np.bincount(planted.user_ids)[1:]
    assert len(lengths) == 200 and lengths.min() >= 5 and lengths.max() <= 20
    assert (np.diff(planted.user_ids) >= 0).all()
    first = first_action_of_each_user(planted.user_ids)
    assert (planted.positions[first] == 1).all()
    assert np.array_equal(planted.positions, np.concatenate([np.arange(1, n + 1) for n in lengths]))
    assert planted.item_ids.min() >= 1 and planted.item_ids.max() <= 100


def test_pure_users_stay_in_their_intent_block():
    planted = generate_planted_intents(200, 100, 4, purity=1.0, seed=1)
    block_of_item = (planted.item_ids - 1) // 25
    assert (block_of_item == planted.intent_of_user[planted.user_ids - 1]).all()


def test_blocks_cover_every_item_when_sizes_do_not_divide():
    starts = intent_blocks(10, 3)
    assert starts.tolist() == [1, 4, 7, 11]
    planted = generate_planted_intents(3000, 10, 3, purity=1.0, seed=5)
    assert set(planted.item_ids.tolist()) == set(range(1, 11))
    assert (planted.intent_of_item(planted.item_ids) == planted.intent_of_user[planted.user_ids - 1]).all()


def test_intent_items_dominate_every_users_sequence():
    planted = generate_planted_intents(2000, 200, 8, min_len=10, max_len=20, purity=0.9, seed=2)
    in_block = planted.intent_of_item(planted.item_ids) == planted.intent_of_user[planted.user_ids - 1]
    assert 0.88 < in_block.mean() < 0.94  # 0.9 + 0.1 / 8 of the noise lands in the block
    share_per_user = np.bincount(planted.user_ids, weights=in_block)[1:] / np.bincount(planted.user_ids)[1:]
    assert np.median(share_per_user) >= 0.9 and (share_per_user > 0.5).mean() > 0.99


def test_purity_controls_noise():
    noisy = generate_planted_intents(2000, 100, 4, purity=0.7, seed=2)
    in_block = noisy.intent_of_item(noisy.item_ids) == noisy.intent_of_user[noisy.user_ids - 1]
    assert 0.73 < in_block.mean() < 0.8  # 0.7 + 0.3 / 4


def test_walk_is_predictable():
    planted = generate_planted_intents(50, 100, 4, purity=1.0, seed=3)
    same_user = planted.user_ids[1:] == planted.user_ids[:-1]
    step = (planted.item_ids[1:] - planted.item_ids[:-1])[same_user] % 25
    assert set(step.tolist()) == {1, 2}


def test_seed_makes_it_deterministic():
    first = generate_planted_intents(500, 100, 4, seed=7)
    again = generate_planted_intents(500, 100, 4, seed=7)
    other = generate_planted_intents(500, 100, 4, seed=8)
    for name in ("user_ids", "item_ids", "positions", "intent_of_user"):
        assert np.array_equal(getattr(first, name), getattr(again, name))
    assert not np.array_equal(first.intent_of_user, other.intent_of_user)


def test_written_dataset_is_a_valid_atomic_file(tmp_path):
    planted = generate_planted_intents(30, 40, 4, seed=4)
    inter = write_planted_dataset(tmp_path, "planted", planted)
    assert inter == tmp_path / "planted" / "planted.inter"
    table = pd.read_csv(inter, sep="\t")
    assert list(table.columns) == ["user_id:token", "item_id:token", "timestamp:float"]
    assert np.array_equal(table["item_id:token"], planted.item_ids)
    assert np.array_equal(table["timestamp:float"], planted.positions)
    truth = pd.read_csv(tmp_path / "planted" / "planted.intents.csv")
    assert list(truth.columns) == ["user_id", "intent"]
    assert truth["intent"].tolist() == planted.intent_of_user.tolist()
    report = prepare_dataset(inter, "again", tmp_path)  # the data module reads it back unchanged
    assert report.after == {"users": 30, "items": len(np.unique(planted.item_ids)), "actions": len(table)}


def test_command_line(tmp_path, capsys):
    assert main(["--users", "20", "--items", "30", "--intents", "3", "--out", str(tmp_path), "--name", "p",
                 "--seed", "1"]) == 0
    assert "p.inter" in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "p" / "p.intents.csv")) == 20
    with pytest.raises(SystemExit) as raised:
        main(["--items", "3", "--intents", "4", "--out", str(tmp_path)])
    assert raised.value.code == 2


def test_hundred_thousand_users():
    planted = generate_planted_intents(100_000, 5000, 64, seed=9)
    lengths = np.bincount(planted.user_ids)[1:]
    assert len(lengths) == 100_000 and lengths.min() >= 5 and lengths.max() <= 20
    assert len(planted.item_ids) == lengths.sum()


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n_items": 5, "n_intents": 4}, r"at least 2 \* n_intents"),
    ({"n_items": 50, "n_intents": 4, "min_len": 6, "max_len": 5}, "min_len <= max_len"),
    ({"n_items": 50, "n_intents": 4, "purity": 1.5}, "purity"),
    ({"n_items": 50, "n_intents": 0}, "n_intents >= 1"),
])
def test_invalid_sizes_are_rejected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate_planted_intents(10, **kwargs)


def test_command_line_replaces_a_dataset_only_with_force(tmp_path, capsys):
    argv = ["--users", "20", "--items", "30", "--intents", "3", "--out", str(tmp_path), "--name", "p"]
    assert main(argv) == 0
    before = (tmp_path / "p" / "p.inter").read_text()
    assert main(argv + ["--seed", "5"]) == 2
    assert "p.inter already exists" in capsys.readouterr().err
    assert (tmp_path / "p" / "p.inter").read_text() == before
    assert main(argv + ["--seed", "5", "--force"]) == 0
    assert (tmp_path / "p" / "p.inter").read_text() != before
