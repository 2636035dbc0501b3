scripts/bench micro
