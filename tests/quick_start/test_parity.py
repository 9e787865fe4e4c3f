"""Acceptance: the authors' released Beauty model, converted and evaluated here, gives the paper's test metrics."""

import pytest

from recbole_elcrec.data.prepare import prepare_dataset
from recbole_elcrec.quick_start.convert import convert_authors_checkpoint
from recbole_elcrec.quick_start.evaluate import evaluate_checkpoint
from tests.helpers import SHARED

RELEASED = SHARED / "checkpoints" / "ELCRec-Beauty-1.pt"
BEAUTY = SHARED / "data" / "Beauty.txt"
# ../shared/checkpoints/README.md: what the authors' code computes from this file (the paper's Table 1 row)
PAPER_TEST = {"hit@5": 0.0529, "hit@20": 0.1079, "ndcg@5": 0.0355, "ndcg@20": 0.0509}
TOLERANCE = 0.0003


@pytest.mark.skipif(not (RELEASED.is_file() and BEAUTY.is_file()), reason=f"needs {RELEASED} and {BEAUTY}")
def test_released_beauty_model_reproduces_the_paper_under_its_protocol(tmp_path):
    prepare_dataset(BEAUTY, "amazon-beauty", tmp_path)
    converted = convert_authors_checkpoint(RELEASED, "amazon-beauty", tmp_path / "ELCRec-Beauty-1.pth", str(tmp_path))
    result = evaluate_checkpoint(converted, "paper", "cpu")
    assert result["protocol"] == "paper"
    for metric, published in PAPER_TEST.items():
        assert result["test"][metric] == pytest.approx(published, abs=TOLERANCE), metric
