scripts/bench cache
