scripts/bench watch
