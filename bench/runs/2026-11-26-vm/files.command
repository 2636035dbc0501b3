scripts/bench files
