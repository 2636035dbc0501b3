scripts/bench 
