"""Evaluation and reporting: result tables, intent analysis of a trained model, training curves, Markdown and PNG."""
