scripts/bench batch --runs 30
