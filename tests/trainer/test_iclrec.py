"""ICLRec's trainer: one sequence per user for the E-step, which runs before the first M-step."""

import torch

from recbole_elcrec.data.sequences import longest_sequence_per_user
from recbole_elcrec.quick_start.run import run
from recbole_elcrec.utils.compat import load_checkpoint
from tests.helpers import TINY_DATASET, TINY_USERS, tiny_overrides


def test_longest_sequence_per_user_keeps_the_latest_longest_prefix():
    users = torch.tensor([2, 1, 2, 1, 2, 3])
    lengths = torch.tensor([3, 1, 3, 2, 2, 1])
    times = torch.tensor([7.0, 1.0, 9.0, 2.0, 5.0, 4.0])
    rows = longest_sequence_per_user(users, lengths, times)
    assert sorted(rows.tolist()) == [2, 3, 5]
    assert sorted(longest_sequence_per_user(users, lengths).tolist()) in ([0, 3, 5], [2, 3, 5])


def test_iclrec_estep_clusters_every_user_once_before_the_mstep(tiny_data_path, tmp_path):
    result = run("ICLRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=1,
                                                                   num_intent_clusters=4, kmeans_restarts=1))
    record = result["history"][0]
    assert record["estep_users"] == TINY_USERS
    assert record["intent_cl"] > 0  # the E-step runs before epoch 0's M-step
    state = load_checkpoint(result["checkpoint"])["state_dict"]
    assert bool(state["centroids_ready"])
    assert state["intent_centroids"].shape == (4, 16) and state["intent_centroids"].abs().sum() > 0
