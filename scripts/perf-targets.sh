#!/usr/bin/env bash
# Measures the performance targets of the README's "Performance" section on this machine:
# influx score / audit on 1M records against a bare Python json.loads + json.dumps pass over the
# same file (same run, same disk), merge of a 10k batch into a 1M dataset, peak memory of each,
# and harvest throughput against the local simulator with the rate limit off.
# Usage: scripts/perf-targets.sh [N]   (N records, default 1000000; needs python3 and /usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/influx

# Runs a command, prints "<label> <seconds> s, peak <MiB> MiB".
measure() {
  local label=$1; shift
  # Each command starts on a quiet disk: without this, the writeback of what the previous one
  # left unsynced (Python's 648 MB, which it never syncs) lands in the next one's time.
  sync
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || true
  # A failed gate exits 1 and time(1) then writes a "Command exited" line first: take the last.
  read -r secs kib < <(tail -n 1 "$work/time")
  printf '%-40s %8.2f s   peak %6d MiB\n' "$label" "$secs" "$((kib / 1024))"
  echo "$secs" >"$work/last"
}

echo "records: $N  ($(nproc) cores)"
"$bin" gen --count "$N" --seed 1 --out "$work/big.jsonl"
printf 'file size: %s\n' "$(du -h "$work/big.jsonl" | cut -f1)"

cat >"$work/baseline.py" <<'PY'
import json, sys
with open(sys.argv[1]) as src, open(sys.argv[2], "w") as dst:
    for line in src:
        dst.write(json.dumps(json.loads(line)) + "\n")
PY
measure "python json.loads+dumps (baseline)" python3 "$work/baseline.py" "$work/big.jsonl" "$work/py.jsonl"
py=$(cat "$work/last")
measure "influx score" "$bin" score "$work/big.jsonl" --out "$work/scored.jsonl"
sc=$(cat "$work/last")
# What bounds the score row besides the CPU: the disk's durable write of the same 1.4 GB output
# (dd + fdatasync, as the score's commit fsyncs), and the score with its output on tmpfs.
measure "disk: durable write of the score output" dd if="$work/scored.jsonl" of="$work/dd.jsonl" bs=4M conv=fdatasync
rm -f "$work/dd.jsonl"
shm=/dev/shm/influx-perf-$$
if mkdir "$shm" 2>/dev/null; then
  measure "influx score, output on tmpfs" "$bin" score "$work/big.jsonl" --out "$shm/scored.jsonl"
  rm -rf "$shm"
fi
measure "influx audit --json" "$bin" audit --json "$work/big.jsonl"
au=$(cat "$work/last")
python3 -c "print(f'score speed-up vs python: {$py/max($sc,0.001):.1f}x   audit speed-up: {$py/max($au,0.001):.1f}x')"

# A first import: the 1M scored records merged into an empty data dir.
measure "influx merge: first import of $N" "$bin" merge "$work/scored.jsonl" --data "$work/import" --allow-flagged
rm -rf "$work/import"
# The same import from a compressed batch: its rows are read back from a spool of its
# decompressed bytes, not held in memory.
gzip -1 -c "$work/scored.jsonl" >"$work/scored.jsonl.gz"
measure "influx merge: first import of $N, .gz" "$bin" merge "$work/scored.jsonl.gz" --data "$work/import" --allow-flagged
rm -rf "$work/import" "$work/scored.jsonl.gz"

# The 1M-record dataset is laid down as version 1 directly (as benches/merge.rs does), so that
# the 10k merge below is measured against a known base.
base="$work/data/versions/00000001-base"
mkdir -p "$base"
ln "$work/scored.jsonl" "$base/latest.jsonl"
sha=$(sha256sum "$base/latest.jsonl" | cut -d' ' -f1)
printf '{"version":1,"sha256":"%s","count":%d,"score_version":"perf","timestamp":"2026-11-01T00:00:00.000Z","rollback_to":null,"history":[]}\n' \
  "$sha" "$N" >"$base/manifest.json"
ln -s versions/00000001-base "$work/data/latest"
"$bin" gen --count 10000 --seed 1 --first $((N - 5000)) --out "$work/batch.jsonl"
"$bin" score "$work/batch.jsonl" --out "$work/batch-scored.jsonl" >/dev/null
measure "influx merge 10k batch into $N" "$bin" merge "$work/batch-scored.jsonl" --data "$work/data" --allow-flagged

# Harvest: 100k handles from the local simulator with the rate limit off.
seq -f 'user_%g' 0 99999 >"$work/handles.txt"
echo "perf-token" >"$work/token"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" sim --no-rate-limit --port "$port" --json >/dev/null 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
measure "influx harvest 100k handles (sim, no limit)" "$bin" harvest --handles "$work/handles.txt" \
  --out "$work/run" --api-base "http://127.0.0.1:$port" --token-file "$work/token" --rate-limit 0 \
  --concurrency 16 --json
python3 -c "print(f'harvest: {100000/max($(cat "$work/last"),0.001):.0f} handles/s')"
