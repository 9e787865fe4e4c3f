"""Trainers: safe atomic checkpoints for every RecBole trainer, the multi-task ELCRec trainer, ICLRec's and DDP's."""
