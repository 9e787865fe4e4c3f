"""Intent analysis functions: centre health counts and quality against planted truth."""

import pandas as pd
import torch

from recbole_elcrec.evaluation import intents


def test_centre_health_counts_dead_and_duplicate_centres():
    centres = torch.tensor([[1.0, 0.0], [2.0, 0.001], [0.0, 1.0], [-1.0, 0.0]])
    live = torch.tensor([True, True, True, False])
    health = intents.centre_health(centres, live, sizes=torch.tensor([5, 0, 3, 0]).numpy())
    assert health == {"centres": 4, "live_centres": 3, "active_centres": 2, "dead_centres": 1,
                      "duplicate_centres": 1, "pruned_centres": 1}


def test_quality_against_truth_is_one_for_a_relabelling(tmp_path):
    truth = tmp_path / "truth.csv"
    truth.write_text("user_id,intent\n1,0\n2,0\n3,1\n4,1\n")
    learned = pd.DataFrame({"user_id": ["1", "2", "3", "4"], "intent": [7, 7, 2, 2]})
    assert intents.quality_against_truth(learned, truth) == {"nmi": 1.0, "ari": 1.0, "users_matched": 4}
