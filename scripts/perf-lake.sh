#!/usr/bin/env bash
# The history lake at scale: N authors x WEEKS weekly snapshots (`influx gen --history-db`),
# exported whole to Parquet (`influx history export`), the same export again (nothing changed:
# nothing written), one new week of N snapshots added (`history import`) and exported into the
# existing lake, and the lake's bytes per snapshot. Peak memory from /usr/bin/time.
#
#   scripts/perf-lake.sh [N] [WEEKS] [DIR]      (defaults: 1000000 52 a fresh temporary dir)
#   BIN=target/debug/influx scripts/perf-lake.sh 100000      (without a release build)
set -euo pipefail
N=${1:-1000000}
WEEKS=${2:-52}
W=${3:-$(mktemp -d)}
BIN=$(realpath "${BIN:-target/release/influx}")
[ -x "$BIN" ] || { echo "build first: cargo build --release (or BIN=target/debug/influx)" >&2; exit 2; }
mkdir -p "$W/data"
cd "$W"
t() { /usr/bin/time -f "%e s, peak %M KB" "$@"; }
echo "== history: $N authors x $WEEKS snapshots"
[ -f data/history.sqlite ] || t "$BIN" gen --count "$N" --history-db data/history.sqlite --weeks "$WEEKS"
rm -rf lake
echo "== export the whole history"
t "$BIN" history export --data data --out lake --json | cut -c1-200
echo "== again: nothing changed"
t "$BIN" history export --data data --out lake --json
echo "== one new week of $N snapshots"
"$BIN" gen --count "$N" --out next.jsonl
"$BIN" history import next.jsonl --data data --json > /dev/null
t "$BIN" history export --data data --out lake --json | cut -c1-200
echo "== size"
python3 - "$W/lake/_influx_manifest.json" <<'PY'
import json, sys
files = json.load(open(sys.argv[1]))["files"]
weeks = [f for p, f in files.items() if p.startswith("snapshots/")]
rows = sum(f["rows"] for f in weeks); size = sum(f["bytes"] for f in weeks)
print(f"{rows} snapshots in {len(weeks)} weeks: {size} bytes, {size / rows:.1f} bytes a snapshot")
PY
echo "== the README's DuckDB queries on the lake (needs: pip install duckdb)"
python3 - "$W/lake" <<'PY'
import sys, time
try:
    import duckdb
except ImportError:
    sys.exit("DuckDB is missing: pip install duckdb")
lake = sys.argv[1]
src = f"read_parquet('{lake}/snapshots/*/*.parquet', hive_partitioning = true)"
con = duckdb.connect()
handle = con.sql(f"SELECT handle FROM read_parquet('{lake}/authors/*.parquet') LIMIT 1").fetchall()[0][0]
# The movers of the last week: what each author gained between the last two weeks' snapshots.
last = con.sql(f"SELECT DISTINCT week FROM {src} ORDER BY week DESC LIMIT 2").fetchall()[-1][0]
queries = {
    f"one author's history (@{handle})": f"""SELECT week, fetched_at, followers_count, score
        FROM {src} WHERE handle = '{handle}' ORDER BY fetched_at""",
    f"top movers by followers since {last}": f"""SELECT handle,
        max(followers_count) - min(followers_count) AS gained
        FROM {src} WHERE week >= '{last}' GROUP BY handle ORDER BY gained DESC LIMIT 20""",
    "snapshots and weeks": f"SELECT count(*), count(DISTINCT week) FROM {src}",
}
for name, sql in queries.items():
    t = time.perf_counter()
    rows = con.sql(sql).fetchall()
    print(f"-- {name}: {len(rows)} rows in {time.perf_counter() - t:.2f} s; first: {rows[:3]}")
PY
