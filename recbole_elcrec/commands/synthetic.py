"""``recbole-elcrec synthetic``: write a dataset with planted user intents and the true intent of every user."""

from __future__ import annotations

import argparse

from recbole_elcrec.commands import command_entry, command_parser
from recbole_elcrec.data.prepare import check_output_dataset
from recbole_elcrec.data.synthetic import generate_planted_intents, write_planted_dataset


def build_parser() -> argparse.ArgumentParser:
    """The ``recbole-elcrec synthetic`` command line."""
    parser = command_parser(
        "synthetic",
        "Synthetic sequences with planted user intents, for tests, scale benchmarks and cluster-quality "
        "checks: every user follows one intent, a disjoint block of items. Writes OUT/NAME/NAME.inter and "
        "NAME.intents.csv (user_id,intent) for 'recbole-elcrec analyze --truth'.",
    )
    parser.add_argument("--users", type=int, default=1000, help="number of users (default 1000)")
    parser.add_argument("--items", type=int, default=500, help="number of items, at least 2 x --intents (default 500)")
    parser.add_argument("--intents", type=int, default=8, help="number of planted intents (default 8)")
    parser.add_argument("--min-len", type=int, default=5, help="fewest actions of a user (default 5)")
    parser.add_argument("--max-len", type=int, default=20, help="most actions of a user (default 20)")
    parser.add_argument("--purity", type=float, default=0.9, help="share of actions from the intent's block")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--out", default="dataset", help="data path to write NAME/NAME.inter into")
    parser.add_argument("--name", default="planted", help="dataset name (default planted)")
    parser.add_argument("--force", action="store_true", help="replace OUT/NAME/NAME.inter if it exists")
    return parser


@command_entry("synthetic")
def main(argv: list[str] | None = None) -> int:
    """Generate and write a planted-intent dataset; 2 on invalid sizes."""
    parser = build_parser()
    args = parser.parse_args(argv)
    check_output_dataset(args.out, args.name, args.force)
    try:
        planted = generate_planted_intents(args.users, args.items, args.intents, args.min_len, args.max_len,
                                           args.purity, args.seed)
        inter_file = write_planted_dataset(args.out, args.name, planted)
    except ValueError as error:
        parser.error(str(error))
    print(f"wrote {inter_file} ({planted.n_users} users, {len(planted.item_ids)} actions) "
          f"and {inter_file.with_name(f'{args.name}.intents.csv')}")
    return 0
