"""Top-k recommendations for given users from a trained checkpoint, in original ids, history excluded."""

from __future__ import annotations

import argparse
import sys

import numpy as np
import torch

from recbole_elcrec.restore import Trained, load_trained, sequence_batch, user_histories


class UnknownUserError(ValueError):
    """A requested user id is not in the model's dataset."""


def internal_user_ids(trained: Trained, user_tokens: list[str]) -> list[int]:
    """RecBole's internal ids of ``user_tokens``; an unknown token is named in the error."""
    field = trained.config["USER_ID_FIELD"]
    known = trained.dataset.field2token_id[field]
    missing = [token for token in user_tokens if token not in known]
    if missing:
        raise UnknownUserError(f"unknown user id(s) {', '.join(missing)} in dataset '{trained.config['dataset']}' "
                               f"({len(known) - 1} users, e.g. {', '.join(list(known)[1:4])})")
    return [known[token] for token in user_tokens]


def recommend(trained: Trained, user_tokens: list[str], topk: int = 10) -> dict[str, list[str]]:
    """The ``topk`` items for each user after everything they interacted with, never an item they know."""
    histories = user_histories(trained)
    users = internal_user_ids(trained, user_tokens)
    sequences = [histories.get(user, []) for user in users]
    with torch.no_grad():
        scores = trained.model.full_sort_predict(sequence_batch(trained, sequences))  # [B, n_items]
    scores[:, 0] = -torch.inf  # padding id
    for row, sequence in enumerate(sequences):
        scores[row, sequence] = -torch.inf
    top = scores.topk(min(topk, scores.shape[1] - 1), dim=1).indices.cpu().numpy()
    item_field = trained.config["ITEM_ID_FIELD"]
    return {token: list(trained.dataset.id2token(item_field, np.asarray(ids))) for token, ids in
            zip(user_tokens, top, strict=True)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recbole_elcrec.recommend", description=__doc__)
    parser.add_argument("--checkpoint", required=True, help="a .pth written by run_recbole_elcrec.py")
    parser.add_argument("--users", required=True, help="comma-separated original user ids, e.g. 1,2,3")
    parser.add_argument("--topk", type=int, default=10)
    args = parser.parse_args(argv)
    try:
        trained = load_trained(args.checkpoint)
        recommendations = recommend(trained, args.users.split(","), args.topk)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for user, items in recommendations.items():
        print(f"{user}\t{' '.join(items)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
