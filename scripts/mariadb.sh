#!/usr/bin/env bash
# A throw-away MariaDB for the tests, listening on 127.0.0.1 only.
#
#   scripts/mariadb.sh start   # install if needed, init, start; prints the URL (idempotent)
#   scripts/mariadb.sh url     # prints the URL
#   scripts/mariadb.sh status  # exit 0 if running
#   scripts/mariadb.sh stop    # stops the server, keeps the data
#   scripts/mariadb.sh purge   # stops the server and deletes its directory
#
#   export CDR_TEST_MARIADB_URL=$(scripts/mariadb.sh start)
#
# Port 33061 unless CDR_MARIADB_PORT is set. Data, socket and log live in
# /tmp/cdr-agent-mariadb-$PORT, so the mysql user never needs access to the repository.
# Only the URL goes to stdout. The server runs without durability (a test database).
set -euo pipefail

PORT="${CDR_MARIADB_PORT:-33061}"
DIR="/tmp/cdr-agent-mariadb-${PORT}"
DATA="${DIR}/data"
SOCK="${DIR}/mysqld.sock"
PIDFILE="${DIR}/mysqld.pid"
LOG="${DIR}/server.log"
DB="cdr_test"
URL="mysql+pymysql://root@127.0.0.1:${PORT}/${DB}"

log() { echo "mariadb.sh: $*" >&2; }

ensure_binaries() {
    command -v mariadbd >/dev/null 2>&1 && command -v mariadb-install-db >/dev/null 2>&1 && return 0
    if [ "$(id -u)" -ne 0 ]; then
        log "mariadbd is missing; install mariadb-server (as root: apt-get install -y mariadb-server)"
        exit 1
    fi
    log "installing mariadb-server"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y --no-install-recommends mariadb-server >&2
}

client() {
    mariadb --no-defaults -u root -S "${SOCK}" "$@"
}

running() {
    [ -S "${SOCK}" ] && mariadb-admin --no-defaults -u root -S "${SOCK}" ping >/dev/null 2>&1
}

start() {
    ensure_binaries
    if running; then
        echo "${URL}"
        return 0
    fi
    mkdir -p "${DIR}"
    local user_opt=()
    if [ "$(id -u)" -eq 0 ]; then
        chown mysql: "${DIR}"
        user_opt=(--user=mysql)
    fi
    chmod 700 "${DIR}"
    if [ ! -d "${DATA}/mysql" ]; then
        rm -rf "${DATA}"
        log "mariadb-install-db ${DATA}"
        # unix_socket auth for root would tie the test login to the OS user: plain root without
        # a password instead, reachable on 127.0.0.1 only.
        mariadb-install-db --no-defaults "${user_opt[@]}" --datadir="${DATA}" \
            --auth-root-authentication-method=normal --skip-test-db >"${DIR}/install.log" 2>&1 || {
            log "mariadb-install-db failed:"; tail -n 20 "${DIR}/install.log" >&2; exit 1; }
    fi
    log "starting on 127.0.0.1:${PORT} (log ${LOG})"
    mariadbd --no-defaults "${user_opt[@]}" --datadir="${DATA}" --socket="${SOCK}" \
        --pid-file="${PIDFILE}" --log-error="${LOG}" --bind-address=127.0.0.1 --port="${PORT}" \
        --skip-name-resolve --innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
        --sync-binlog=0 --innodb-buffer-pool-size=64M --character-set-server=utf8mb4 \
        --collation-server=utf8mb4_unicode_ci >/dev/null 2>&1 &
    for _ in $(seq 1 100); do
        running && break
        sleep 0.2
    done
    if ! running; then
        log "start failed; last lines of ${LOG}:"
        tail -n 20 "${LOG}" >&2 || true
        exit 1
    fi
    client -e "CREATE DATABASE IF NOT EXISTS \`${DB}\` CHARACTER SET utf8mb4"
    echo "${URL}"
}

stop() {
    if running; then
        mariadb-admin --no-defaults -u root -S "${SOCK}" shutdown >&2
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
