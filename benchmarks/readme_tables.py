"""Rebuild results/tables.md from the committed run records and put it, unchanged, into the README.

Run: python benchmarks/readme_tables.py   (no training; the README block sits between the markers below)
"""

from __future__ import annotations

import sys
from pathlib import Path

from recbole_elcrec.evaluation.results import write_tables_report

BEGIN, END = "<!-- begin: results/tables.md -->\n", "<!-- end: results/tables.md -->"


def main() -> int:
    root = Path(__file__).resolve().parents[1]
    if Path.cwd() != root:  # the tables link their charts by paths relative to the root
        print(f"run from the repository root {root}", file=sys.stderr)
        return 2
    tables = write_tables_report(Path("results")).read_text()
    readme = root / "README.md"
    text = readme.read_text()
    head, rest = text.split(BEGIN)
    readme.write_text(head + BEGIN + tables + END + rest.split(END, 1)[1])
    print(f"README tables refreshed from {root / 'results'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
