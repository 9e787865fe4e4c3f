"""Evaluation and reporting: the evaluation protocols, result tables, intent analysis, curves, Markdown, PNG."""
