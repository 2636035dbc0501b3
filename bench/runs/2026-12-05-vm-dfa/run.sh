#!/bin/bash
# The lazy DFA (issue 18, design note 0011): aifs against rg and the aifs of main
# before it, on the 1 GiB text file and the source tree; run from the repository root.
export LC_ALL=C
A=$PWD/.build/release/aifs
M=${MAIN_AIFS:?the aifs of main (a490b21) to compare with}
big=bench/corpora/text-1024m.txt
tree=bench/corpora/swift-packages
out=${OUT:-bench/runs/$(date +%Y-%m-%d)-$(hostname -s)-dfa}
mkdir -p "$out"
i=0
for q in '([a-z]+\s+){5}\d{6}' '[A-Z][a-z]{12}' '[A-Z][a-z]+Manager'; do
  hyperfine -N --output=pipe --warmup 1 --runs 5 --export-json "$out/big-$i.json" \
    -n aifs "$A search -c '$q' $big" -n rg "rg -c '$q' $big" -n "aifs main" "$M search -c '$q' $big" >/dev/null
  hyperfine -N --output=pipe --warmup 1 --runs 5 --export-json "$out/tree-$i.json" \
    -n aifs "$A search -c '$q' $tree" -n rg "rg -c '$q' $tree" -n "aifs main" "$M search -c '$q' $tree" >/dev/null
  i=$((i+1))
done
