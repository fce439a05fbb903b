#!/usr/bin/env bash
# `influx release` of N authors against what a consumer's copy costs without it: `influx export
# --format jsonl` plus a gzip of its output (the target: the release within 1.5x of the two),
# measured side by side on the same data directory, ROUNDS times alternated. Peak memory from
# /usr/bin/time. Generated records claim an API source no run proves, and a few look like samples:
# the release allows `unverifiable` and `placeholders` (a production release gates both).
#
#   scripts/perf-release.sh [N] [ROUNDS] [DIR]      (defaults: 1000000 3 a fresh temporary dir)
#   BIN=target/debug/influx scripts/perf-release.sh 100000 1      (without a release build)
set -euo pipefail
N=${1:-1000000}
ROUNDS=${2:-3}
W=${3:-$(mktemp -d)}
BIN=$(realpath "${BIN:-target/release/influx}")
[ -x "$BIN" ] || { echo "build first: cargo build --release (or BIN=target/debug/influx)" >&2; exit 2; }
cd "$W"
if [ ! -e data/latest ]; then
  "$BIN" gen --count "$N" --seed 1 --out gen.jsonl
  "$BIN" score gen.jsonl --out scored.jsonl > /dev/null
  "$BIN" merge scored.jsonl --data data --allow-flagged > /dev/null
  rm -f gen.jsonl scored.jsonl
fi
# "<seconds> <peak KiB>" of one command, its output thrown away.
timed() {
  sync
  /usr/bin/time -f "%e %M" -o time.txt "$@" > /dev/null
  tail -n 1 time.txt
}
echo "authors: $N  ($(nproc) cores)"
for round in $(seq "$ROUNDS"); do
  rm -rf data/release out.jsonl out.jsonl.gz
  read -r ex ex_kb < <(timed "$BIN" export --data data --format jsonl --out out.jsonl)
  read -r gz gz_kb < <(timed sh -c 'gzip -c out.jsonl > out.jsonl.gz')
  read -r rel rel_kb < <(timed "$BIN" release --data data --allow unverifiable --allow placeholders --json)
  python3 - "$round" "$ex" "$gz" "$rel" "$ex_kb" "$rel_kb" <<'PY'
import sys
r, ex, gz, rel, ex_kb, rel_kb = sys.argv[1], *map(float, sys.argv[2:])
print(f"round {r}: export {ex:.2f} s + gzip {gz:.2f} s = {ex + gz:.2f} s; "
      f"release {rel:.2f} s = {rel / (ex + gz):.2f}x (target at most 1.5x); "
      f"peak export {ex_kb / 1024:.0f} MiB, release {rel_kb / 1024:.0f} MiB")
PY
done
ls -l data/release/current/ out.jsonl out.jsonl.gz | awk '{print $5, $NF}'
