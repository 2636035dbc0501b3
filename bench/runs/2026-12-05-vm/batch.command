scripts/bench batch
