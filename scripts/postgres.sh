#!/usr/bin/env bash
# A project-local PostgreSQL for the demo ERP and the tests: start | stop | status | dsn.
#
# Installs Debian's PostgreSQL with apt-get when no server binaries are found, keeps its
# cluster in a project folder (CG_PG_HOME, default .local/postgres, git-ignored) and listens
# on loopback only (CG_PG_PORT, default 55432). As root it runs the server as the `postgres`
# user, since initdb and postgres refuse to run as root. Every action is idempotent and quick
# when the work is already done. The cluster preloads pg_stat_statements, so the demo ERP's
# statements are counted by the database itself.
#
# Environment: CG_PG_HOME, CG_PG_PORT, CG_PG_USER (default cg), CG_PG_PASSWORD (default
# cg-local: a loopback-only development cluster; set your own for anything else).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_HOME="${CG_PG_HOME:-$ROOT/.local/postgres}"
PG_PORT="${CG_PG_PORT:-55432}"
PG_USER="${CG_PG_USER:-cg}"
PG_PASSWORD="${CG_PG_PASSWORD:-cg-local}"
DATA="$PG_HOME/data"
SOCKETS="$PG_HOME/run"
LOG="$PG_HOME/server.log"

say() { echo "postgres.sh: $*" >&2; }

find_bindir() {
    local dir
    # Debian keeps each major version apart; take the newest that has a server.
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/postgres" ]]; then
            echo "$dir"
            return 0
        fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(readlink -f "$(command -v initdb)")"
        return 0
    fi
    return 1
}

install_postgres() {
    if [[ $(id -u) -ne 0 ]]; then
        say "PostgreSQL is not installed and installing it needs root: apt-get install postgresql"
        exit 1
    fi
    say "installing PostgreSQL from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q postgresql postgresql-contrib >/dev/null; then
        apt-get update -q >/dev/null
        apt-get install -y -q postgresql postgresql-contrib >/dev/null
    fi
}

BIN="$(find_bindir || true)"
if [[ -z "$BIN" ]]; then
    install_postgres
    BIN="$(find_bindir)"
fi

# As root, run every server tool as `postgres`; otherwise as ourselves.
if [[ $(id -u) -eq 0 ]]; then
    if ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    fi
    as_server() {
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    }
else
    as_server() { "$@"; }
fi

pg_ctl_() { as_server "$BIN/pg_ctl" -D "$DATA" "$@"; }

is_running() { [[ -f "$DATA/postmaster.pid" ]] && pg_ctl_ status >/dev/null 2>&1; }

running_port() { sed -n 4p "$DATA/postmaster.pid" 2>/dev/null || echo "$PG_PORT"; }

init_cluster() {
    [[ -f "$DATA/PG_VERSION" ]] && return 0
    mkdir -p "$PG_HOME" "$SOCKETS"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$PG_HOME" "$SOCKETS"
        if ! as_server test -w "$PG_HOME"; then
            say "the postgres user cannot write $PG_HOME (a parent folder is closed to it); set CG_PG_HOME"
            exit 1
        fi
    fi
    local pwfile
    pwfile="$(mktemp)"
    printf '%s\n' "$PG_PASSWORD" >"$pwfile"
    if [[ $(id -u) -eq 0 ]]; then chown postgres: "$pwfile"; fi
    say "creating a cluster in $DATA"
    as_server "$BIN/initdb" -D "$DATA" -U "$PG_USER" --pwfile="$pwfile" --auth-host=scram-sha-256 \
        --auth-local=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$pwfile"
    cat >>"$DATA/postgresql.conf" <<CONF

# Customer Graph development cluster (scripts/postgres.sh)
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCKETS'
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
}

start() {
    if is_running; then
        echo "running on 127.0.0.1:$(running_port) (data in $DATA)"
        return 0
    fi
    init_cluster
    mkdir -p "$SOCKETS"
    if [[ $(id -u) -eq 0 ]]; then touch "$LOG" && chown postgres: "$SOCKETS" "$LOG"; fi
    pg_ctl_ -l "$LOG" -w -t 60 -o "-p $PG_PORT" start >/dev/null || {
        say "the server did not start; last lines of $LOG:"
        tail -n 20 "$LOG" >&2
        exit 1
    }
    echo "running on 127.0.0.1:$PG_PORT (data in $DATA)"
}

stop() {
    if ! is_running; then
        echo "not running"
        return 0
    fi
    pg_ctl_ -m fast -w -t 60 stop >/dev/null
    echo "stopped"
}

status() {
    if is_running; then
        echo "running on 127.0.0.1:$(running_port) (data in $DATA)"
    else
        echo "not running"
        return 3
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    dsn) echo "postgresql://$PG_USER@127.0.0.1:$(running_port)/postgres" ;;
    *)
        echo "usage: $0 start|stop|status|dsn" >&2
        exit 2
        ;;
esac
