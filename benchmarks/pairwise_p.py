"""Print the paired t-test p-value of every pair of Table 1 rows, and of Figure 4 rows, per dataset, protocol and loss.

Run: python benchmarks/pairwise_p.py [RESULTS]   (no training; RESULTS defaults to results/)
The tables' own "What the numbers say" tests ELCRec against the strongest baseline only; the README's prose
under Table 1 quotes the other pairs from this script. Same test as the tables: converged runs, the headline
metric (NDCG@5), two-sided, paired by seed, on the seeds both rows ran.
"""

from __future__ import annotations

import math
import sys
from itertools import combinations

from recbole_elcrec.evaluation.findings import HEADLINE, headline_scores
from recbole_elcrec.evaluation.results import ABLATION_PREFIX, group_records, read_records, split_by_convergence
from recbole_elcrec.evaluation.tables import paired_p_value


def paired_on_shared_seeds(first: dict[int, float], second: dict[int, float]) -> str:
    """The paired p-value of two rows' scores (by seed) on the seeds both ran, or why there is none."""
    shared = sorted(first.keys() & second.keys())
    if len(shared) < 2:
        return f"n/a ({len(shared)} seed{'s' * (len(shared) != 1)} in common)"
    p_value = paired_p_value({seed: first[seed] for seed in shared}, {seed: second[seed] for seed in shared})
    return "n/a (no variance)" if math.isnan(p_value) else f"p = {p_value:.3g} over {len(shared)} seeds"


def main(root: str = "results") -> int:
    for (dataset, protocol, loss), rows in sorted(group_records(read_records(root)).items()):
        scores = headline_scores(split_by_convergence(rows)[0])
        ablation = sorted(row for row in scores if row.startswith(ABLATION_PREFIX))
        groups = {"Table 1": sorted(row for row in scores if not row.startswith(ABLATION_PREFIX)),
                  "Figure 4": ablation + ["ELCRec"] * ("ELCRec" in scores) if ablation else []}
        for name, group in groups.items():
            if len(group) < 2:
                continue
            print(f"{dataset}, {protocol} protocol, {loss}, {name}, {HEADLINE}:")
            for first, second in combinations(group, 2):
                print(f"  {first} vs {second}: {paired_on_shared_seeds(scores[first], scores[second])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
