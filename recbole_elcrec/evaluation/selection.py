"""Model selection on validation: which epoch's checkpoint a run tests (the last to reach the best score)."""

from __future__ import annotations

from collections.abc import Iterable


def checkpoint_epoch(scores: Iterable[tuple[int, float]], bigger: bool = True) -> int | None:
    """The epoch, of ``(epoch, validation score)`` pairs, whose checkpoint is tested; None when there are none.

    RecBole's ``early_stopping`` keeps a new checkpoint when a score equals the best (``>=``), and its
    scores are rounded to 4 digits, so ties are common: the tested epoch is the LAST to reach the best.
    """
    scores = list(scores)
    if not scores:
        return None
    best = (max if bigger else min)(score for _, score in scores)
    return max(epoch for epoch, score in scores if score == best)


def patience_ran_out(scores: Iterable[tuple[int, float]], stopping_step: int, bigger: bool = True) -> bool:
    """Whether RecBole's ``early_stopping`` ends training after the last of ``scores``.

    It does when more than ``stopping_step`` validations followed the tested epoch (``checkpoint_epoch``),
    since each of them scored below the best (an equal score would have been tested instead); with
    ``eval_step`` above 1 RecBole counts validations, not epochs.
    """
    scores = list(scores)
    tested = checkpoint_epoch(scores, bigger)
    return tested is not None and sum(epoch > tested for epoch, _ in scores) > stopping_step
