// Checkpoints module
