#!/usr/bin/env bash
# The plan's ETA against the time a harvest really takes, under a simulator window.
# usage: scripts/eta-check.sh LIMIT WINDOW_SECS BATCH_SIZE [HANDLES=300]
# Prints the plan's requests and eta_s beside the measured wall time of the same harvest.
set -euo pipefail
limit=$1 window=$2 batch=$3 n=${4:-300}
bin=${INFLUX_BIN:-target/release/influx}
work=$(mktemp -d)
trap 'kill "$sim" 2>/dev/null || true; rm -rf "$work"' EXIT
for i in $(seq 0 $((n - 1))); do echo "eta_user_$i"; done > "$work/handles.txt"
"$bin" sim --port 0 --limit "$limit" --window-secs "$window" > "$work/sim.log" 2>&1 &
sim=$!
for _ in $(seq 50); do grep -q "http://" "$work/sim.log" && break; sleep 0.1; done
url=$(grep -oE "http://127.0.0.1:[0-9]+" "$work/sim.log" | head -1)
export X_BEARER_TOKEN=eta-check
args=(--json --handles "$work/handles.txt" --data "$work/data" --api-base "$url"
      --batch-size "$batch" --rate-limit "$limit" --window-secs "$window")
plan=$("$bin" harvest "${args[@]}" --dry-run | grep '"event":"plan"' | head -1)
start=$(date +%s.%N)
"$bin" harvest "${args[@]}" > "$work/run.jsonl" 2>&1 || true
end=$(date +%s.%N)
python3 - "$plan" "$start" "$end" "$limit" "$window" "$batch" <<'PY'
import json, sys
plan = json.loads(sys.argv[1])
actual = float(sys.argv[3]) - float(sys.argv[2])
eta = plan["eta_s"]
print(f"limit {sys.argv[4]} per {sys.argv[5]} s, batch {sys.argv[6]}: "
      f"{plan['requests']} requests, plan ETA {eta} s, actual {actual:.1f} s, "
      f"off by {(eta - actual) / actual * 100:+.1f}%")
PY
