"""Report helpers shared by the comparison and the tuning commands: Markdown tables and PNG saving."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

from recbole_elcrec.utils.io import atomic_write


def format_cell(value: Any) -> str:
    """Floats to 4 decimals, NaN/None as n/a, everything else as its string."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4f}"
    return str(value)


def counted(count: int, noun: str) -> str:
    """``1 seed``, ``3 seeds``: a count with its noun, plural beyond one."""
    return f"{count} {noun}{'s' * (count > 1)}"


def markdown_table(frame: pd.DataFrame) -> str:
    """A GitHub Markdown table of ``frame``."""
    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(format_cell(value) for value in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def pyplot():
    """``matplotlib.pyplot`` on the headless Agg backend (imported on first use: it is slow to import)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(figure, path: str | Path) -> Path:
    """Write a matplotlib figure as PNG atomically and close it."""
    written = atomic_write(path, lambda handle: figure.savefig(handle, format="png", dpi=120))
    pyplot().close(figure)
    return written
