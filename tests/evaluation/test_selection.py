"""The tested epoch is the one whose checkpoint RecBole's early stopping keeps: the last of tied best scores."""

import pytest
from recbole.utils import early_stopping

from recbole_elcrec.evaluation.selection import checkpoint_epoch


@pytest.mark.parametrize(("scores", "bigger", "kept"), [
    ([0.03, 0.0396, 0.038, 0.0396, 0.037], True, 3),  # a tie at the best: the later epoch's checkpoint
    ([0.05, 0.04, 0.06], True, 2),
    ([0.5, 0.3, 0.4, 0.3, 0.35], False, 3),           # a loss-like metric (smaller is better), tied too
])
def test_the_checkpoint_epoch_is_the_checkpoint_recbole_early_stopping_keeps(scores, bigger, kept):
    best, steps, saved = (-1 if bigger else 1) * float("inf"), 0, None
    for epoch, score in enumerate(scores):
        best, steps, _, update = early_stopping(score, best, steps, max_step=10, bigger=bigger)
        saved = epoch if update else saved
    assert checkpoint_epoch(enumerate(scores), bigger) == saved == kept


def test_epochs_are_taken_as_recorded_not_by_position():
    assert checkpoint_epoch([(4, 0.2), (9, 0.3), (14, 0.3)]) == 14  # eval_step 5: epochs 4, 9, 14 validated


def test_no_validated_epoch_has_no_checkpoint_epoch():
    assert checkpoint_epoch([]) is None
