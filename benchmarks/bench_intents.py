"""Intent recovery on planted data: ELCRec with fixed k, ELCRec with adaptive k, and ICLRec (NMI / ARI vs truth).

Run: python benchmarks/bench_intents.py --users 2000 --items 400 --intents 8 --out results/bench_intents
Prints a Markdown table and writes it with a JSON report to --out.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

from recbole_elcrec.data.synthetic import generate_planted_intents, write_planted_dataset
from recbole_elcrec.evaluation.intents import quality_against_truth, user_intents
from recbole_elcrec.evaluation.report import markdown_table
from recbole_elcrec.quick_start.restore import load_trained
from recbole_elcrec.quick_start.run import run
from recbole_elcrec.utils.io import atomic_write_json, atomic_write_text

DATASET = "planted"


def settings_to_compare(intents: int, start_k: int) -> dict[str, tuple[str, dict]]:
    """Row name -> (model, model-specific settings)."""
    return {
        f"ELCRec, fixed k={intents}": ("ELCRec", {"n_clusters": intents}),
        f"ELCRec, fixed k={start_k}": ("ELCRec", {"n_clusters": start_k}),
        f"ELCRec, adaptive (prune, start k={start_k})": ("ELCRec", {"n_clusters": start_k,
                                                                    "adaptive_centres": "prune"}),
        f"ICLRec, k={intents}": ("ICLRec", {"num_intent_clusters": intents}),
    }


def evaluate_row(model: str, extra: dict, common: dict, truth: Path) -> dict:
    """Train one setting, then score its intents against the planted truth."""
    result = run(model, DATASET, overrides={**common, **extra})
    intents = user_intents(load_trained(result["checkpoint"]))
    quality = quality_against_truth(intents.frame, truth)
    return {"NMI": quality["nmi"], "ARI": quality["ari"], "intents used": int(intents.frame["intent"].nunique()),
            "test HR@5": result["test_result"]["hit@5"], "test NDCG@5": result["test_result"]["ndcg@5"],
            "train seconds": result["train_seconds"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--items", type=int, default=400)
    parser.add_argument("--intents", type=int, default=8)
    parser.add_argument("--start-k", type=int, default=32, help="k the adaptive run starts from")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--purity", type=float, default=0.9)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--out", default="results/bench_intents")
    args = parser.parse_args(argv)
    out = Path(args.out)
    data_root = Path(tempfile.mkdtemp(prefix="planted-"))
    write_planted_dataset(data_root, DATASET, generate_planted_intents(args.users, args.items, args.intents,
                                                                        min_len=6, max_len=20, purity=args.purity,
                                                                        seed=args.seed))
    truth = data_root / DATASET / f"{DATASET}.intents.csv"
    common = {"data_path": str(data_root), "checkpoint_dir": str(out / "checkpoints"), "epochs": args.epochs,
              "seed": args.seed, "hidden_size": 32, "inner_size": 64, "MAX_ITEM_LIST_LENGTH": 20,
              "train_batch_size": 256, "alpha": 0.1, "show_progress": False, "state": "WARNING"}
    rows = []
    for name, (model, extra) in settings_to_compare(args.intents, args.start_k).items():
        print(f"training {name} ...", file=sys.stderr)
        rows.append({"setting": name, **evaluate_row(model, extra, common, truth)})
    table = pd.DataFrame(rows)
    header = (f"Planted intents: {args.users} users, {args.items} items, {args.intents} intents, purity "
              f"{args.purity}, {args.epochs} epochs, seed {args.seed}\n\n")
    atomic_write_text(out / "intents.md", header + markdown_table(table))
    atomic_write_json(out / "intents.json", {"arguments": vars(args), "rows": rows})
    print(header + markdown_table(table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
