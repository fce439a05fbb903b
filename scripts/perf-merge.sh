#!/usr/bin/env bash
# Measures the README's "merge a 10k batch into 1M" row as a weekly merge meets it: a 1M dataset
# stored as version 1 and already recorded in its history, then `influx merge` of a 10k batch
# (5,000 authors updated or sent again, 5,000 new), each run on a fresh copy of the data
# directory. Prints when the new version was published (DIR/latest switched, polled every 10 ms)
# and when the command returned, with its peak memory and what the history looked up.
# Usage: scripts/perf-merge.sh [N] [RUNS]   (N records, default 1000000; RUNS default 3;
# BIN=path/to/influx compares another build; needs python3 and ~4 GB of disk)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
RUNS=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=${CARGO_TARGET_DIR:-target}/release/influx
fi

"$BIN" gen --count "$N" --seed 1 --out "$work/big.jsonl"
"$BIN" score "$work/big.jsonl" --out "$work/scored.jsonl" >/dev/null
"$BIN" gen --count 10000 --seed 1 --first $((N - 5000)) --out "$work/batch.jsonl"
"$BIN" score "$work/batch.jsonl" --out "$work/batch-scored.jsonl" >/dev/null
base="$work/data/versions/00000001-base"
mkdir -p "$base"
mv "$work/scored.jsonl" "$base/latest.jsonl"
rm -f "$work/big.jsonl" "$work/batch.jsonl"
sha=$(sha256sum "$base/latest.jsonl" | cut -d' ' -f1)
printf '{"version":1,"sha256":"%s","count":%d,"score_version":"perf","timestamp":"2026-11-01T00:00:00.000Z","rollback_to":null,"history":[]}\n' \
  "$sha" "$N" >"$base/manifest.json"
ln -s versions/00000001-base "$work/data/latest"
# The first open of the history records version 1 whole, as the merges before this one did.
"$BIN" history --movers 1 --data "$work/data" >/dev/null

python3 - "$BIN" "$work" "$RUNS" <<'PY'
import json, os, resource, shutil, subprocess, sys, time
bin_, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
for run in range(runs):
    data = os.path.join(work, "run")
    shutil.rmtree(data, ignore_errors=True)
    subprocess.run(["cp", "-a", os.path.join(work, "data"), data], check=True)
    subprocess.run(["sync"], check=True)
    before = os.readlink(os.path.join(data, "latest"))
    start = time.monotonic()
    p = subprocess.Popen([bin_, "merge", os.path.join(work, "batch-scored.jsonl"), "--data", data,
                          "--allow-flagged", "--json"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    published = None
    while p.poll() is None:
        if published is None and os.readlink(os.path.join(data, "latest")) != before:
            published = time.monotonic() - start
        time.sleep(0.01)
    returned = time.monotonic() - start
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024
    looked_up = [json.loads(l)["recorded"].get("looked_up") for l in p.stdout.read().decode().splitlines()
                 if '"history_recorded"' in l]
    shown = "-" if published is None else f"{published:.2f}"
    print(f"run {run + 1}: published {shown} s  returned {returned:.2f} s  "
          f"exit {p.returncode}  peak so far {peak_mib} MiB  history looked up {looked_up}")
PY
