"""CL4SRec and ICLRec train and evaluate through RecBole; ICLRec's E-step and k-means against references."""

import numpy as np
import pytest
import torch

from recbole_elcrec.compat import load_checkpoint
from recbole_elcrec.kmeans import kmeans
from recbole_elcrec.model.iclrec import ICLRecTrainer, longest_sequence_per_user
from recbole_elcrec.registry import resolve_model, resolve_trainer
from recbole_elcrec.run import run
from recbole_elcrec.trainer import ELCRecTrainer
from tests.helpers import TINY_DATASET, tiny_overrides

METRICS = {"hit@5", "hit@20", "ndcg@5", "ndcg@20"}
TINY_USERS = 60


def lloyd(points: np.ndarray, centroids: np.ndarray, n_iter: int = 50) -> np.ndarray:
    """Plain Lloyd iterations from given starting centroids (the brute-force reference)."""
    for _ in range(n_iter):
        assignment = ((points[:, None, :] - centroids[None]) ** 2).sum(-1).argmin(1)
        centroids = np.stack([points[assignment == j].mean(0) for j in range(len(centroids))])
    return centroids


def test_kmeans_centroids_match_brute_force():
    rng = np.random.default_rng(0)
    centres = np.array([[0.0, 0.0], [5.0, 5.0], [-5.0, 5.0]])
    points = np.concatenate([centre + 0.3 * rng.standard_normal((40, 2)) for centre in centres]).astype(np.float32)
    found, assignment = kmeans(points, 3, n_iter=20, seed=1, n_redo=5)
    reference = lloyd(points, centres + 0.5)
    order = [int(np.argmin(((found - ref) ** 2).sum(1))) for ref in reference]
    assert sorted(order) == [0, 1, 2]
    assert np.allclose(found[order], reference, atol=1e-4)
    assert (np.bincount(assignment) == 40).all()
    assert (assignment == ((points[:, None] - found[None]) ** 2).sum(-1).argmin(1)).all()


def test_kmeans_needs_enough_points():
    with pytest.raises(ValueError, match="at least k=5 points"):
        kmeans(np.zeros((3, 2)), 5)


def test_longest_sequence_per_user_keeps_the_latest_longest_prefix():
    users = torch.tensor([2, 1, 2, 1, 2, 3])
    lengths = torch.tensor([3, 1, 3, 2, 2, 1])
    times = torch.tensor([7.0, 1.0, 9.0, 2.0, 5.0, 4.0])
    rows = longest_sequence_per_user(users, lengths, times)
    assert sorted(rows.tolist()) == [2, 3, 5]
    assert sorted(longest_sequence_per_user(users, lengths).tolist()) in ([0, 3, 5], [2, 3, 5])


def test_baselines_are_registered_with_their_trainers():
    assert resolve_trainer(resolve_model("CL4SRec")) is ELCRecTrainer
    assert resolve_trainer(resolve_model("ICLRec")) is ICLRecTrainer


@pytest.mark.parametrize(("model", "terms"), [("CL4SRec", {"next_item", "seq_cl"}),
                                              ("ICLRec", {"next_item", "seq_cl", "intent_cl", "estep_seconds"})])
def test_baseline_trains_and_evaluates(model, terms, tiny_data_path, tmp_path):
    result = run(model, TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=1,
                                                                num_intent_clusters=4))
    assert set(result["test_result"]) == METRICS == set(result["best_valid_result"])
    assert all(0.0 <= value <= 1.0 for value in result["test_result"].values())
    assert terms <= set(result["history"][0])
    assert load_checkpoint(result["checkpoint"])["model"] == model


def test_iclrec_estep_clusters_every_user_once_before_the_mstep(tiny_data_path, tmp_path):
    result = run("ICLRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=1,
                                                                   num_intent_clusters=4, kmeans_restarts=1))
    record = result["history"][0]
    assert record["estep_users"] == TINY_USERS
    assert record["intent_cl"] > 0  # the E-step runs before epoch 0's M-step
    state = load_checkpoint(result["checkpoint"])["state_dict"]
    assert bool(state["centroids_ready"])
    assert state["intent_centroids"].shape == (4, 16) and state["intent_centroids"].abs().sum() > 0


def test_iclrec_rejects_more_intents_than_users(tiny_data_path, tmp_path):
    with pytest.raises(ValueError, match="num_intent_clusters=500 must be between 2 and the 60 training users"):
        run("ICLRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, num_intent_clusters=500))
