#!/usr/bin/env bash
# Measures what proving records against their answers adds to `influx audit` (issue 17's target:
# at most 30%): harvests N handles from the local simulator (rate limit off) into one run, then
# audits its records.jsonl without and with `--runs` (the run's answers, indexed once), each
# REPS times, alternating, and prints the medians, the overhead and the peak memory of each.
# Usage: scripts/perf-custody.sh [N] [REPS]   (default 1000000 handles, 3 repetitions;
# needs python3 and /usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
REPS=${2:-3}
work=$(mktemp -d)
cargo build --release --quiet
bin=${CARGO_TARGET_DIR:-target}/release/influx

seq -f 'user_%g' 0 $((N - 1)) >"$work/handles.txt"
echo "perf-token" >"$work/token"
chmod 600 "$work/token"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" sim --no-rate-limit --port "$port" --json >/dev/null 2>&1 &
sim=$!
trap 'kill $sim 2>/dev/null; rm -rf "$work"' EXIT
sleep 1
"$bin" harvest --handles "$work/handles.txt" --out "$work/run" --data "$work/data" \
  --api-base "http://127.0.0.1:$port" --token-file "$work/token" --rate-limit 0 \
  --concurrency 16 --json >/dev/null || true
records=$(wc -l <"$work/run/records.jsonl")
printf 'records: %s (%s), answers: %s lines (%s), %s cores\n' "$records" \
  "$(du -h "$work/run/records.jsonl" | cut -f1)" "$(wc -l <"$work/run/responses.jsonl")" \
  "$(du -h "$work/run/responses.jsonl" | cut -f1)" "$(nproc)"

# Runs the audit, appends "<seconds> <peak KiB>" to $work/<label>.
measure() {
  local label=$1; shift
  sync
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" audit --json "$work/run/records.jsonl" "$@" \
    >"$work/out.json" 2>"$work/err" || true
  tail -n 1 "$work/time" >>"$work/$label"
}
for _ in $(seq "$REPS"); do
  measure plain
  measure proved --runs "$work/run"
done
python3 - "$work" <<'PY'
import json, statistics, sys
work = sys.argv[1]
def read(label):
    rows = [line.split() for line in open(f"{work}/{label}")]
    return [float(s) for s, _ in rows], [int(k) // 1024 for _, k in rows]
(p, pm), (v, vm) = read("plain"), read("proved")
prov = json.load(open(f"{work}/out.json"))["provenance"]
print(f"audit           : median {statistics.median(p):.2f} s  (runs {', '.join(f'{x:.2f}' for x in p)}), peak {max(pm)} MiB")
print(f"audit --runs RUN: median {statistics.median(v):.2f} s  (runs {', '.join(f'{x:.2f}' for x in v)}), peak {max(vm)} MiB")
print(f"verification adds {100 * (statistics.median(v) / statistics.median(p) - 1):+.1f}% "
      f"(target: at most +30%); verified {prov['verified']} of {prov['claimed_api']} claimed, "
      f"mismatch {prov['mismatch']}, unverifiable {prov['unverifiable']}")
PY
