scripts/bench all
