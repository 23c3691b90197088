#!/usr/bin/env bash
# Set up, replay the bundled Asterisk 22 recordings into an embedded SQLite database,
# list the calls, show an attended transfer as a tree, fill the statistics and print the
# queue and agent reports.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
DB="sqlite:///demo.sqlite"
rm -f demo.sqlite demo.sqlite-wal demo.sqlite-shm
cdr=.venv/bin/cdr-agent
$cdr replay tests/fixtures/traces/* --server lab --db "$DB" 2>/dev/null
$cdr calls --db "$DB"
echo
first=$($cdr export --json --db "$DB" | .venv/bin/python -c '
import json, sys
for line in sys.stdin:
    doc = json.loads(line)
    if any(t["kind"] == "attended" and t["completed"] for t in doc["transfers"]):
        print(doc["call_id"]); break')
$cdr show "$first" --db "$DB"
echo
$cdr stats fill --db "$DB" 2>/dev/null
$cdr report queues --from 2026-11-23 --to 2026-11-24 --db "$DB"
echo
$cdr report agents --from 2026-11-23 --to 2026-11-24 --db "$DB"
