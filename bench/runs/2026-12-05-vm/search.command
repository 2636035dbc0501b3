scripts/bench search
