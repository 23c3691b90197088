#!/usr/bin/env bash
# A throw-away PostgreSQL 15 for the tests, listening on 127.0.0.1 only.
#
#   scripts/postgres.sh start   # install if needed, init, start; prints the URL (idempotent)
#   scripts/postgres.sh url     # prints the URL
#   scripts/postgres.sh status  # exit 0 if running
#   scripts/postgres.sh stop    # stops the server, keeps the data
#   scripts/postgres.sh purge   # stops the server and deletes its directory
#
#   export CDR_TEST_PG_URL=$(scripts/postgres.sh start)
#
# Port 54329 unless CDR_PG_PORT is set. Data and socket live in /tmp/cdr-agent-pg-$PORT, so
# the postgres user never needs access to the repository. Only the URL goes to stdout.
set -euo pipefail

PORT="${CDR_PG_PORT:-54329}"
DIR="/tmp/cdr-agent-pg-${PORT}"
DATA="${DIR}/data"
LOG="${DIR}/server.log"
DB="cdr_test"
BIN="/usr/lib/postgresql/15/bin"
URL="postgresql+psycopg://postgres@127.0.0.1:${PORT}/${DB}"

log() { echo "postgres.sh: $*" >&2; }

# As root, run the server as `postgres` (PostgreSQL refuses to run as root); otherwise as us.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

ensure_binaries() {
    [ -x "${BIN}/initdb" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        log "${BIN}/initdb is missing; install postgresql-15 (as root: apt-get install -y postgresql-15)"
        exit 1
    fi
    log "installing postgresql-15"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y postgresql-15 >&2
}

running() {
    [ -f "${DATA}/PG_VERSION" ] && as_owner "${BIN}/pg_ctl" -D "${DATA}" status >/dev/null 2>&1
}

psql_q() {
    "${BIN}/psql" -X -q -h 127.0.0.1 -p "${PORT}" -U postgres -d postgres -tAc "$1"
}

start() {
    ensure_binaries
    if running; then
        echo "${URL}"
        return 0
    fi
    mkdir -p "${DIR}"
    if [ "$(id -u)" -eq 0 ]; then
        chown postgres: "${DIR}"
    fi
    chmod 700 "${DIR}"
    if [ ! -f "${DATA}/PG_VERSION" ]; then
        rm -rf "${DATA}"
        log "initdb ${DATA}"
        as_owner "${BIN}/initdb" -D "${DATA}" -U postgres -A trust --no-sync \
            --encoding=UTF8 --locale=C >&2
    fi
    log "starting on 127.0.0.1:${PORT} (log ${LOG})"
    if ! as_owner "${BIN}/pg_ctl" -D "${DATA}" -l "${LOG}" -w \
        -o "-c listen_addresses=127.0.0.1 -p ${PORT} -k ${DIR} -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >&2; then
        log "start failed; last lines of ${LOG}:"
        tail -n 20 "${LOG}" >&2 || true
        exit 1
    fi
    if [ "$(psql_q "SELECT 1 FROM pg_database WHERE datname = '${DB}'")" != "1" ]; then
        "${BIN}/createdb" -h 127.0.0.1 -p "${PORT}" -U postgres "${DB}"
    fi
    echo "${URL}"
}

stop() {
    if running; then
        as_owner "${BIN}/pg_ctl" -D "${DATA}" -m fast -w stop >&2
    else
        log "not running"
    fi
}

case "${1:-}" in
    start) start ;;
    url) echo "${URL}" ;;
    status) running ;;
    stop) stop ;;
    purge) stop; rm -rf "${DIR}" ;;
    *)
        echo "usage: $0 start|stop|url|status|purge" >&2
        exit 2
        ;;
esac
