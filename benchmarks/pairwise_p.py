"""Print the paired t-test p-value of every pair of Table 1 rows, per dataset, protocol and loss.

Run: python benchmarks/pairwise_p.py [RESULTS]   (no training; RESULTS defaults to results/)
The tables' own "What the numbers say" tests ELCRec against the strongest baseline only; the README's prose
under Table 1 quotes the other pairs from this script. Same test as the tables: converged runs, the headline
metric (NDCG@5), two-sided, paired by seed.
"""

from __future__ import annotations

import sys
from itertools import combinations

from recbole_elcrec.evaluation.findings import HEADLINE, headline_scores
from recbole_elcrec.evaluation.results import group_records, read_records, split_by_convergence
from recbole_elcrec.evaluation.tables import paired_p_value


def main(root: str = "results") -> int:
    for (dataset, protocol, loss), rows in sorted(group_records(read_records(root)).items()):
        scores = headline_scores(split_by_convergence(rows)[0])
        print(f"{dataset}, {protocol} protocol, {loss}, {HEADLINE}:")
        for first, second in combinations(sorted(scores), 2):
            print(f"  {first} vs {second}: p = {paired_p_value(scores[first], scores[second]):.3g}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
