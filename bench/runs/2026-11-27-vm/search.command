scripts/bench search --runs 10
