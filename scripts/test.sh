#!/usr/bin/env bash
# Set up, start a throw-away PostgreSQL 15 and MariaDB on 127.0.0.1, run the whole test suite
# against SQLite, PostgreSQL and MariaDB.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
CDR_TEST_PG_URL="$(bash scripts/postgres.sh start)"
export CDR_TEST_PG_URL CDR_REQUIRE_PG=1
CDR_TEST_MARIADB_URL="$(bash scripts/mariadb.sh start)"
export CDR_TEST_MARIADB_URL CDR_REQUIRE_MARIADB=1
exec .venv/bin/python -m pytest -q "$@"
