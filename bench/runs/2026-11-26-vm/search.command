scripts/bench search --runs 10 --ten-gigabytes
