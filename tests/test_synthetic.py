"""Planted-intent generator."""

import numpy as np
import pandas as pd
import pytest

from recbole_elcrec.synthetic import generate_planted_intents, write_planted_dataset


def test_users_stay_in_their_intent_block():
    planted = generate_planted_intents(200, 100, 4, purity=1.0, seed=1)
    block_of_item = (planted.item_ids - 1) // 25
    assert (block_of_item == planted.intent_of_user[planted.user_ids - 1]).all()
    lengths = np.bincount(planted.user_ids)[1:]
    assert lengths.min() >= 5 and lengths.max() <= 20
    first_positions = planted.positions[np.r_[0, np.flatnonzero(np.diff(planted.user_ids)) + 1]]
    assert (first_positions == 1).all()


def test_purity_controls_noise_and_seed_is_deterministic():
    noisy = generate_planted_intents(2000, 100, 4, purity=0.7, seed=2)
    in_block = (noisy.item_ids - 1) // 25 == noisy.intent_of_user[noisy.user_ids - 1]
    assert 0.7 < in_block.mean() < 0.85  # noise can land inside the block too
    again = generate_planted_intents(2000, 100, 4, purity=0.7, seed=2)
    assert np.array_equal(noisy.item_ids, again.item_ids)


def test_walk_is_predictable():
    planted = generate_planted_intents(50, 100, 4, purity=1.0, seed=3)
    same_user = planted.user_ids[1:] == planted.user_ids[:-1]
    step = (planted.item_ids[1:] - planted.item_ids[:-1])[same_user] % 25
    assert set(step.tolist()) <= {1, 2}


def test_written_dataset(tmp_path):
    planted = generate_planted_intents(30, 40, 4, seed=4)
    inter = write_planted_dataset(tmp_path, "planted", planted)
    table = pd.read_csv(inter, sep="\t")
    assert list(table.columns) == ["user_id:token", "item_id:token", "timestamp:float"] and len(table) == len(
        planted.item_ids)
    truth = pd.read_csv(tmp_path / "planted" / "planted.intents.csv")
    assert truth["intent"].tolist() == planted.intent_of_user.tolist()


def test_too_few_items_per_intent_is_rejected():
    with pytest.raises(ValueError, match="at least 2 \\* n_intents"):
        generate_planted_intents(10, 5, 4)
