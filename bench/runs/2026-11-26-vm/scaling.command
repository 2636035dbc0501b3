scripts/bench scaling
