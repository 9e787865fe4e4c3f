"""CL4SRec and ICLRec train and evaluate through RecBole; ICLRec's E-step and k-means against references."""

import numpy as np
import pytest

from recbole_elcrec.model.kmeans import kmeans
from recbole_elcrec.quick_start.run import run
from recbole_elcrec.utils.compat import load_checkpoint
from tests.helpers import TINY_DATASET, tiny_overrides

METRICS = {"hit@5", "hit@20", "ndcg@5", "ndcg@20"}


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


@pytest.mark.parametrize(("model", "terms"), [("CL4SRec", {"next_item", "seq_cl"}),
                                              ("ICLRec", {"next_item", "seq_cl", "intent_cl", "estep_seconds"})])
def test_baseline_trains_and_evaluates(model, terms, tiny_data_path, tmp_path):
    result = run(model, TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, epochs=1,
                                                                num_intent_clusters=4))
    assert set(result["test_result"]) == METRICS == set(result["best_valid_result"])
    assert all(0.0 <= value <= 1.0 for value in result["test_result"].values())
    assert terms <= set(result["history"][0])
    assert load_checkpoint(result["checkpoint"])["model"] == model


def test_iclrec_rejects_more_intents_than_users(tiny_data_path, tmp_path):
    with pytest.raises(ValueError, match="num_intent_clusters=500 must be between 2 and the 60 training users"):
        run("ICLRec", TINY_DATASET, overrides=tiny_overrides(tmp_path, tiny_data_path, num_intent_clusters=500))
