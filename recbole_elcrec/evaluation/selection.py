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

