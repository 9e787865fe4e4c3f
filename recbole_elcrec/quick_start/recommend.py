"""Top-k recommendations for given users from a trained checkpoint, in original ids, history excluded."""

from __future__ import annotations

import torch

from recbole_elcrec.data.histories import sequence_batch, user_histories
from recbole_elcrec.quick_start.restore import Trained


class UnknownUserError(ValueError):
    """A requested user id is not in the model's dataset."""


class NoHistoryError(ValueError):
    """A requested user has no sequence the model can continue (a single interaction in the dataset)."""


def internal_user_ids(trained: Trained, user_tokens: list[str]) -> list[int]:
    """RecBole's internal ids of ``user_tokens`` (original ids); every unknown one is named in the error."""
    known = trained.dataset.field2token_id[trained.config["USER_ID_FIELD"]]
    missing = [token for token in user_tokens if token not in known or known[token] == 0]  # 0 is padding
    if missing:
        examples = ", ".join(token for token in list(known)[1:4])
        raise UnknownUserError(f"unknown user id(s) {', '.join(missing)} in dataset '{trained.config['dataset']}' "
                               f"({len(known) - 1} users, e.g. {examples})")
    return [known[token] for token in user_tokens]


@torch.no_grad()
def unseen_item_scores(trained: Trained, sequences: list[list[int]]) -> torch.Tensor:
    """``[B, n_items]`` scores after each sequence; padding and already seen items get ``-inf``."""
    scores = trained.model.full_sort_predict(sequence_batch(trained, sequences)).float().cpu()
    scores[:, 0] = -torch.inf
    for row, sequence in enumerate(sequences):
        scores[row, sequence] = -torch.inf
    return scores


def recommend(trained: Trained, user_tokens: list[str], topk: int = 10) -> dict[str, list[str]]:
    """Top ``topk`` items (original ids) for each user after their whole history, never an item they know.

    A user with fewer than ``topk`` unseen items gets all of them; a user with a single interaction
    (no sequence in the model's data) is refused with NoHistoryError, NaN scores with ValueError.
    """
    if topk < 1:
        raise ValueError(f"topk must be at least 1, got {topk}")
    users = internal_user_ids(trained, user_tokens)
    histories = user_histories(trained)
    sequences = [histories.get(user, []) for user in users]
    lonely = [token for token, sequence in zip(user_tokens, sequences, strict=True) if not sequence]
    if lonely:
        raise NoHistoryError(f"user id(s) {', '.join(lonely)} have a single interaction in dataset "
                             f"'{trained.config['dataset']}', so the model holds no sequence of theirs to continue "
                             "(it keeps a user's items from the second one on); recommend needs users with at least "
                             "2 interactions")
    scores = unseen_item_scores(trained, sequences)
    if scores.isnan().any():
        raise ValueError("the model scores items as NaN: the checkpoint holds non-finite weights "
                         "(did its training diverge?)")
    values, indices = scores.topk(min(topk, scores.shape[1]), dim=1)
    item_field = trained.config["ITEM_ID_FIELD"]
    return {token: [str(item) for item in trained.dataset.id2token(item_field, ids[torch.isfinite(row)].numpy())]
            for token, row, ids in zip(user_tokens, values, indices, strict=True)}
