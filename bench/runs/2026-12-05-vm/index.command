scripts/bench index
