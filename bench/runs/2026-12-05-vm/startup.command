scripts/bench startup --runs 200
