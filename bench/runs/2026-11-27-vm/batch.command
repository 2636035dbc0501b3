scripts/bench batch --runs 15
