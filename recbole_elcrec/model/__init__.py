"""Sequential recommenders of this package, one model per module."""
