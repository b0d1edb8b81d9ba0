"""Trainer, loop, checkpoints, EMA and run outputs."""
