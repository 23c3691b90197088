#!/usr/bin/env bash
# Set up, replay the bundled Asterisk 22 recordings and a production PBX's SIP recordings
# into an embedded SQLite database, list the calls, show an attended transfer of each as a
# tree, fill the statistics and print the queue and agent reports.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
DB="sqlite:///demo.sqlite"
rm -f demo.sqlite demo.sqlite-wal demo.sqlite-shm
cdr=.venv/bin/cdr-agent
$cdr replay tests/fixtures/traces/* --server lab --db "$DB" 2>/dev/null
# A production PBX's recordings (SIP phones, Local hops, no timestamps): same trees, times null.
$cdr replay tests/fixtures/traces-sip/*/ --server voipgrid --db "$DB" 2>/dev/null
$cdr calls --db "$DB"
echo
attended() {  # the first call of that server with a completed attended transfer
  $cdr export --json --db "$DB" | .venv/bin/python -c '
import json, sys
for line in sys.stdin:
    doc = json.loads(line)
    if doc["server"] == sys.argv[1] and any(t["kind"] == "attended" and t["completed"] for t in doc["transfers"]):
        print(doc["call_id"]); break' "$1"
}
$cdr show "$(attended lab)" --db "$DB"
echo
$cdr show "$(attended voipgrid)" --db "$DB"
echo
$cdr stats fill --db "$DB" 2>/dev/null
$cdr report queues --from 2026-11-23 --to 2026-11-24 --db "$DB"
echo
$cdr report agents --from 2026-11-23 --to 2026-11-24 --db "$DB"
