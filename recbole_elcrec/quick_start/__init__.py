"""Quick start: whole runs as library calls (train, restore, compare, tune, DDP, analyze, recommend), as RecBole's."""
