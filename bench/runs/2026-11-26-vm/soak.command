nice -n 19 scripts/bench soak --minutes 10
