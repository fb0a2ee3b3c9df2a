#!/usr/bin/env bash
# Run a command with a throw-away PostgreSQL server on 127.0.0.1, for the database tests.
# Installs Debian's postgresql package if it is missing (needs root, as on CI), starts a
# server in a temporary folder, exports IONOQUAKE_TEST_POSTGRES_URL, runs "$@", and stops
# and removes the server whatever the command's outcome.
set -euo pipefail

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }
if [ -z "$(pgbin)" ]; then
  echo "installing postgresql (Debian package) for the database tests" >&2
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
BIN=$(pgbin)
PORT=${IONOQUAKE_TEST_PG_PORT:-54329}
DATA=$(mktemp -d /tmp/ionoquake-pg.XXXXXX)
RUN_AS=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$DATA"
  RUN_AS=(runuser -u postgres --)
fi
"${RUN_AS[@]}" "$BIN/initdb" -D "$DATA/db" -A trust -U postgres >/dev/null
"${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DATA/db" -l "$DATA/log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DATA -c fsync=off" start >/dev/null
stop() {
  "${RUN_AS[@]}" "$BIN/pg_ctl" -D "$DATA/db" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$DATA"
}
trap stop EXIT
export IONOQUAKE_TEST_POSTGRES_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/postgres"
"$@"
