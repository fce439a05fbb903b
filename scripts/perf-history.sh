#!/usr/bin/env bash
# The history at scale: N authors with WEEKS weekly snapshots each (a year of refreshes), built
# by `influx gen --history-db`; then what a weekly merge adds (N snapshots appended, through the
# same insert path a merge's recording uses: `influx history import` of the next week's file),
# one author's history (`influx history HANDLE`, the process included), the growth-flag scan
# every refresh's census and the console's open run (`influx history --flagged`), and the
# database's size.
#
#   scripts/perf-history.sh [N] [WEEKS] [DIR]      (defaults: 1000000 52 a fresh temporary dir)
set -euo pipefail
N=${1:-1000000}
WEEKS=${2:-52}
W=${3:-$(mktemp -d)}
BIN=$(realpath "${BIN:-target/release/influx}")
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 2; }
mkdir -p "$W/data"
cd "$W"
t() { /usr/bin/time -f "%e s, peak %M KB" "$@"; }
echo "== build: $N authors x $WEEKS snapshots"
t "$BIN" gen --count "$N" --history-db data/history.sqlite --weeks "$WEEKS"
echo "== the next week's records ($N lines)"
t "$BIN" gen --count "$N" --out next.jsonl
echo "== append $N snapshots (one week)"
t "$BIN" history import next.jsonl --data data --json
echo "== one author's history (3 runs)"
for h in gen_1_7 gen_1_$((N / 2)) gen_1_$((N - 1)); do
  t "$BIN" history "$h" --data data --json > /dev/null
done
echo "== the movers (the 20 largest score and follower changes)"
t "$BIN" history --movers 20 --data data --json > movers.json
echo "== every flagged author (the scan a refresh census and the console open run)"
# Exit 1 says some author is flagged: a finding, not a failure of the script.
t "$BIN" history --flagged --data data --json > flagged.jsonl || [ $? -eq 1 ]; wc -l < flagged.jsonl
echo "== the same again (read from the flags the history kept)"
t "$BIN" history --flagged --data data --json > flagged-kept.jsonl || [ $? -eq 1 ]
cmp flagged.jsonl flagged-kept.jsonl && echo "same flags"

echo "== size"
du -b data/history.sqlite* | awk '{s+=$1; print} END {printf "total %.2f GB\n", s/1e9}'
