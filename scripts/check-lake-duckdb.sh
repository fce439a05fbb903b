#!/usr/bin/env bash
# DuckDB reads what influx publishes: the history lake as one Hive-partitioned table and the
# release's Parquet. Fails (exit 2) when DuckDB's Python package is missing: install it with
# `pip install duckdb`. Builds a small history and release of its own in a temporary directory.
#
#   scripts/check-lake-duckdb.sh            (BIN=target/debug/influx by default)
set -euo pipefail
BIN=$(realpath "${BIN:-target/debug/influx}")
[ -x "$BIN" ] || { echo "build first: cargo build" >&2; exit 2; }
python3 -c 'import duckdb' 2>/dev/null || { echo "DuckDB is missing: pip install duckdb" >&2; exit 2; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
mkdir h
"$BIN" gen --count 500 --weeks 6 --history-db h/history.sqlite
"$BIN" history export --data h --out lake --json > /dev/null
"$BIN" gen --count 300 --out batch.jsonl
"$BIN" score batch.jsonl --out scored.jsonl --json > /dev/null
"$BIN" merge --data d scored.jsonl --json > /dev/null
# Generated records claim an API source no run proves: allowed here, gated in production.
"$BIN" release --data d --allow unverifiable --json > /dev/null
python3 - <<'PY'
import duckdb
rows, weeks, ts = duckdb.sql("""
    SELECT count(*), count(DISTINCT week), typeof(any_value(fetched_at))
    FROM read_parquet('lake/snapshots/*/*.parquet', hive_partitioning = true)""").fetchall()[0]
assert rows == 3000 and weeks == 6, (rows, weeks)
assert ts.startswith("TIMESTAMP"), ts
absent = duckdb.sql("""SELECT count(*) FROM read_parquet('lake/snapshots/*/*.parquet',
    hive_partitioning = true) WHERE score IS NOT NULL""").fetchall()[0][0]
assert absent == 0, "a score the history lacks must be null"
authors = duckdb.sql("SELECT count(*) FROM read_parquet('lake/authors/*.parquet')").fetchall()[0][0]
assert authors == 500, authors
n, tags, scored = duckdb.sql("""SELECT count(*), typeof(any_value(topic_tags)), count(score)
    FROM read_parquet('d/release/current/influx-latest.parquet')""").fetchall()[0]
assert n == 300 and tags == "VARCHAR[]" and scored == 300, (n, tags, scored)
print(f"duckdb reads the lake ({rows} snapshots, {weeks} weeks, {authors} authors) and the release ({n} authors)")
PY
