"""Utilities every layer may use: atomic file writes, compatibility shims, model lookup by name, hardware facts."""
