"""Report helpers: Markdown tables."""

import pandas as pd

from recbole_elcrec.evaluation.report import markdown_table


def test_markdown_table_formats_floats():
    assert markdown_table(pd.DataFrame({"a": [0.12345, float("nan")], "b": ["x", "y"]})) == (
        "| a | b |\n|---|---|\n| 0.1235 | x |\n| n/a | y |\n")
