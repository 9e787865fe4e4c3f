"""Top-k recommendations for given users from a trained checkpoint, in original ids, history excluded."""

from __future__ import annotations

import argparse
import sys

import torch

from recbole_elcrec.data.histories import sequence_batch, user_histories
from recbole_elcrec.quick_start.restore import Trained, load_trained


class UnknownUserError(ValueError):
    """A requested user id is not in the model's dataset."""


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

    A user with fewer than ``topk`` unseen items gets all of them.
    """
    if topk < 1:
        raise ValueError(f"topk must be at least 1, got {topk}")
    users = internal_user_ids(trained, user_tokens)
    histories = user_histories(trained)
    sequences = [histories.get(user, []) for user in users]
    scores = unseen_item_scores(trained, sequences)
    values, indices = scores.topk(min(topk, scores.shape[1]), dim=1)
    item_field = trained.config["ITEM_ID_FIELD"]
    return {token: [str(item) for item in trained.dataset.id2token(item_field, ids[torch.isfinite(row)].numpy())]
            for token, row, ids in zip(user_tokens, values, indices, strict=True)}


def parse_users(text: str) -> list[str]:
    """``"1, 2,3"`` -> ``["1", "2", "3"]``; empty entries are dropped."""
    return [token.strip() for token in text.split(",") if token.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m recbole_elcrec.recommend", description=__doc__)
    parser.add_argument("--checkpoint", required=True, help="a .pth written by run_recbole_elcrec.py")
    parser.add_argument("--users", required=True, help="comma-separated original user ids, e.g. 1,2,3")
    parser.add_argument("--topk", type=int, default=10, help="items per user (default 10)")
    parser.add_argument("--device", help="cpu, cuda, cuda:1 (default: the device of the training run)")
    args = parser.parse_args(argv)
    users = parse_users(args.users)
    if not users:
        parser.error("--users needs at least one user id")
    try:
        recommendations = recommend(load_trained(args.checkpoint, args.device), users, args.topk)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    for user, items in recommendations.items():
        print(f"{user}\t{' '.join(items)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
