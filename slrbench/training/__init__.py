"""Training: schedules (and, later, the trainer, checkpoints and distributed runs)."""
