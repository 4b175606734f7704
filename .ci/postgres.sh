#!/usr/bin/env bash
# A throwaway PostgreSQL for the tests, from the installed binaries (/usr/lib/postgresql/*/bin).
#   .ci/postgres.sh start DIR   initdb + pg_ctl into DIR (created; must not exist or be empty), listening on
#                               127.0.0.1 only at a free port, fsync on; prints the connection string to export as
#                               TWOPC_POSTGRES (the tests then use this server instead of starting their own).
#   .ci/postgres.sh stop DIR    stops the server and deletes DIR.
# As root, the server runs as the postgres user (initdb refuses root).
# Example: export TWOPC_POSTGRES=$(.ci/postgres.sh start /tmp/twopc-pg); ...; .ci/postgres.sh stop /tmp/twopc-pg
set -euo pipefail

usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
action=$1 dir=$2

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
as_user=()
if [ "$(id -u)" -eq 0 ]; then as_user=(runuser -u postgres --); fi

case "$action" in
start)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ] || [ ! -x "$bin/pg_ctl" ]; then
    echo "error: no PostgreSQL binaries under /usr/lib/postgresql/*/bin (install the 'postgresql' package)" >&2
    exit 1
  fi
  mkdir -p "$dir"
  [ ${#as_user[@]} -eq 0 ] || chown -R postgres: "$dir"
  "${as_user[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  for attempt in 1 2 3; do
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
      shuf -i 20000-60000 -n 1)
    if "${as_user[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=on -c max_connections=300" \
        start >/dev/null 2>&1; then
      echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres"
      exit 0
    fi
  done
  echo "error: PostgreSQL did not start; see $dir/server.log:" >&2
  tail -n 20 "$dir/server.log" >&2 || true
  exit 1
  ;;
stop)
  if [ -d "$dir/data" ] && [ -n "$bin" ]; then
    "${as_user[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 ||
      "${as_user[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  ;;
*) usage ;;
esac
