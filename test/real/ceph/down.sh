#!/usr/bin/env bash
# Stops the Ceph daemons that up.sh started, by the PIDs it recorded, and removes the state dir.
# Set CEPH_KEEP_STATE=1 to keep logs and data for inspection.
set -uo pipefail

STATE="${STATSMOLN_REAL_DIR:-/tmp/statsmoln-real}/ceph"
[[ -d "$STATE" ]] || { echo "[ceph-down] nothing to stop ($STATE missing)"; exit 0; }

pids=()
if [[ -f "$STATE/pids" ]]; then
  while read -r name pid; do pids+=("$pid"); echo "[ceph-down] stopping $name ($pid)"; done <"$STATE/pids"
fi
# Daemons started before pids was written (an interrupted up.sh) still have pid files.
for f in "$STATE"/run/*.pid; do
  [[ -f "$f" ]] && pids+=("$(cat "$f")")
done

mapfile -t pids < <(printf '%s\n' "${pids[@]}" | awk 'NF && !seen[$0]++')
# Stop in reverse start order: rgw, osd, mgr, mon.
for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[$i]}" 2>/dev/null || true; done
for _ in $(seq 50); do
  alive=0
  for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
  ((alive)) || break
  sleep 0.2
done
for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && { echo "[ceph-down] SIGKILL $pid"; kill -KILL "$pid"; }; done
for pid in "${pids[@]}"; do
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
done

if [[ "${CEPH_KEEP_STATE:-0}" == 1 ]]; then
  rm -f "$STATE/pids"
else
  rm -rf "$STATE"
fi
echo "[ceph-down] stopped"
