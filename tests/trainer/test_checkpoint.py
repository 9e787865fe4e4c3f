"""Checkpoint payloads hold plain Python values only."""

from recbole_elcrec.trainer.checkpoint import plain_values


def test_plain_values_turn_numpy_scalars_into_python():
    import numpy as np

    converted = plain_values({"ndcg@5": np.float64(0.25), "nested": [np.int64(3)], "inf": float("-inf")})
    assert converted == {"ndcg@5": 0.25, "nested": [3], "inf": float("-inf")}
    assert type(converted["ndcg@5"]) is float
