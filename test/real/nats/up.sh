#!/usr/bin/env bash
# Starts a real nats-server (Debian's package) with JetStream on 127.0.0.1 for the metering tests.
# Idempotent: does nothing when the server is already running. Keeps the store between runs so a
# restart (down.sh then up.sh) finds the stream again.
set -euo pipefail

PORT="${STATSMOLN_NATS_PORT:-4222}"
BASE="${STATSMOLN_REAL_DIR:-/tmp/statsmoln-real}/nats"
PID_FILE="$BASE/nats-server.pid"
LOG_FILE="$BASE/nats-server.log"

if ! command -v nats-server >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends nats-server ||
    { apt-get -o DPkg::Lock::Timeout=900 update && apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends nats-server; }
fi

mkdir -p "$BASE/store"
if [[ -f "$PID_FILE" ]] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
  echo "nats-server already running (pid $(cat "$PID_FILE")) on 127.0.0.1:$PORT"
  exit 0
fi

: >"$LOG_FILE"
nats-server --addr 127.0.0.1 --port "$PORT" --jetstream --store_dir "$BASE/store" \
  --pid "$PID_FILE" --log "$LOG_FILE" --server_name statsmoln-real </dev/null >/dev/null 2>&1 &
SERVER_PID=$!
echo "$SERVER_PID" >"$PID_FILE"

for _ in $(seq 1 100); do
  if grep -q "Server is ready" "$LOG_FILE" 2>/dev/null; then
    echo "nats-server with JetStream ready on 127.0.0.1:$PORT (pid $SERVER_PID, store $BASE/store)"
    exit 0
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "nats-server exited during start-up:" >&2
    cat "$LOG_FILE" >&2
    exit 1
  fi
  sleep 0.1
done
echo "nats-server did not become ready within 10 s:" >&2
tail -20 "$LOG_FILE" >&2
exit 1
