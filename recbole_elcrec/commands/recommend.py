"""``recbole-elcrec recommend``: top-k items for given users from a checkpoint, one line per user."""

from __future__ import annotations

import argparse

from recbole_elcrec.commands import add_checkpoint_options, command_entry, command_parser, positive_int
from recbole_elcrec.quick_start.recommend import recommend
from recbole_elcrec.quick_start.restore import load_trained


def parse_users(text: str) -> list[str]:
    """``"1, 2,3"`` -> ``["1", "2", "3"]``; empty entries are dropped."""
    return [token.strip() for token in text.split(",") if token.strip()]


def build_parser() -> argparse.ArgumentParser:
    """The ``recbole-elcrec recommend`` command line."""
    parser = command_parser(
        "recommend",
        "Top-k recommendations for given users from a trained checkpoint, in original ids, history "
        "excluded: one line per user, 'user<TAB>item item ...'.",
    )
    add_checkpoint_options(parser)
    parser.add_argument("--users", required=True, help="comma-separated original user ids, e.g. 1,2,3")
    parser.add_argument("--topk", type=positive_int, default=10, help="items per user (default 10)")
    return parser


@command_entry("recommend")
def main(argv: list[str] | None = None) -> int:
    """Print the recommendations; 2 for a missing or damaged checkpoint or an unknown user."""
    parser = build_parser()
    args = parser.parse_args(argv)
    users = parse_users(args.users)
    if not users:
        parser.error("--users needs at least one user id")
    recommendations = recommend(load_trained(args.checkpoint, args.device), users, args.topk)
    for user, items in recommendations.items():
        print(f"{user}\t{' '.join(items)}")
    return 0
