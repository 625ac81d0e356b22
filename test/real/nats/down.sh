#!/usr/bin/env bash
# Stops the nats-server that up.sh started (SIGTERM, SIGKILL after 10 s). `--purge` also deletes its store.
set -euo pipefail

BASE="${STATSMOLN_REAL_DIR:-/tmp/statsmoln-real}/nats"
PID_FILE="$BASE/nats-server.pid"

if [[ -f "$PID_FILE" ]]; then
  PID="$(cat "$PID_FILE")"
  if kill -0 "$PID" 2>/dev/null; then
    kill -TERM "$PID"
    for _ in $(seq 1 100); do
      kill -0 "$PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID"; fi
    echo "nats-server (pid $PID) stopped"
  fi
  rm -f "$PID_FILE"
fi

if [[ "${1:-}" == "--purge" ]]; then rm -rf "$BASE/store"; fi
