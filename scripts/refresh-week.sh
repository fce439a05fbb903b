#!/usr/bin/env bash
# A week of scheduled refreshes against the simulator, the clock compressed: one "day" is DAY
# seconds and an author goes stale after 7 days (7*DAY seconds). N authors start with their last
# refresh spread evenly over the past week; the simulator loses some handles and answers some
# requests with 429 and 5xx. Each day runs `influx refresh` once and prints what it did: exit
# code, authors chosen, refreshed, left out, requests, 429s, spend.
#
#   scripts/refresh-week.sh [N] [DAY_SECONDS] [BIN]     (defaults: 1000 10 target/release/influx)
set -euo pipefail
N=${1:-1000}
DAY=${2:-10}
BIN=${3:-target/release/influx}
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 2; }
BIN=$(realpath "$BIN")
W=$(mktemp -d)
trap 'kill $SIM 2>/dev/null || true; rm -rf "$W"' EXIT
cd "$W"
"$BIN" gen --count "$N" --seed 11 > gen.jsonl
python3 - "$N" "$DAY" <<'PY'
import json, sys, datetime as dt
n, day = int(sys.argv[1]), int(sys.argv[2])
now = dt.datetime.now(dt.timezone.utc)
week = 7 * day
with open("gen.jsonl") as f, open("seed.jsonl", "w") as out:
    for i, line in enumerate(f):
        r = json.loads(line)
        # Spread over the past week: about a seventh go stale each day.
        at = now - dt.timedelta(seconds=week * (i + 0.5) / n)
        t = at.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        r["meta"]["last_refresh_at"] = t
        r["meta"]["sources"] = [{"method": "manual_curation", "fetched_at": t, "evidence": "week"}]
        out.write(json.dumps(r) + "\n")
PY
"$BIN" score seed.jsonl --out seed.scored.jsonl --json > /dev/null
"$BIN" merge seed.scored.jsonl --data data --allow-flagged --json > /dev/null
"$BIN" sim --port 0 --dataset seed.scored.jsonl --window-secs 2 --not-found-rate 0.005 \
  --suspended-rate 0.002 --fault-rate 429=0.05 --fault-rate 503=0.03 > sim.log 2>&1 &
SIM=$!
for _ in $(seq 50); do grep -q "http://" sim.log && break; sleep 0.1; done
URL=$(grep -o 'http://127.0.0.1:[0-9]*' sim.log | head -1)
export X_BEARER_TOKEN=week
printf "%-4s %-5s %-8s %-10s %-9s %-9s %-6s %-9s\n" day exit chosen refreshed left_out requests 429s spend_usd
for d in $(seq 1 7); do
  sleep "$DAY"
  set +e
  "$BIN" refresh --data data --api-base "$URL" --stale-after "$((7 * DAY))s" --json > "day$d.jsonl"
  code=$?
  set -e
  python3 - "$d" "$code" "day$d.jsonl" <<'PY'
import json, sys
d, code, path = sys.argv[1:4]
done = [json.loads(l) for l in open(path) if '"refresh_done"' in l]
if not done:
    print(f"{d:<4} {code:<5} (no report: {open(path).read().strip()[:200]})"); sys.exit()
r = done[0]["report"]; h = r.get("harvest") or {}
print(f"{d:<4} {code:<5} {r['selected']:<8} {r['refreshed']:<10} {len(r['left_out']) + r['failed'] + r['pending']:<9} {h.get('requests', 0):<9} {h.get('throttled', 0):<6} {r['spend_usd']:<9.2f}")
PY
done
"$BIN" spend --data data | tail -3
