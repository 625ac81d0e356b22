#!/usr/bin/env bash
# Stops every daemon up.sh started, by the PIDs recorded in $STATE/pids: each one leads its own
# session, so the whole session (uwsgi workers, conductor workers, Erlang helpers) is signalled.
# SIGTERM first, SIGKILL after a few seconds (eventlet services hang on SIGTERM while they reach
# RabbitMQ); RabbitMQ, epmd and MariaDB last. --purge also deletes the state dir.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
SKIP_SECRETS=1 # stopping needs no credentials, and must not create a state dir
. "$HERE/common.sh"

PURGE=0
[ "${1:-}" = "--purge" ] && PURGE=1

session_members() { pgrep -s "$1" 2> /dev/null || true; }

# stop_group GRACE_SECONDS NAME...: TERM every named session, wait up to GRACE, KILL the rest.
stop_group() {
  local grace=$1
  shift
  local name pid sids=()
  for name in "$@"; do
    pid=$(service_pid "$name" || true)
    if [ -n "$pid" ] && pid_alive "$pid"; then
      sids+=("$pid")
      kill -TERM -- "-$pid" 2> /dev/null || true
    fi
    rm -f "$PIDS/$name.pid"
  done
  [ "${#sids[@]}" -eq 0 ] && return 0
  local deadline=$(( $(date +%s) + grace )) left
  while :; do
    left=""
    for pid in "${sids[@]}"; do left="$left$(session_members "$pid")"; done
    [ -z "$left" ] && return 0
    [ "$(date +%s)" -ge "$deadline" ] && break
    sleep 0.2
  done
  for pid in "${sids[@]}"; do
    for member in $(session_members "$pid"); do kill -KILL "$member" 2> /dev/null || true; done
  done
  sleep 0.5
}

ALL_SIDS=()
for f in "$PIDS"/*.pid; do
  [ -e "$f" ] || continue
  pid=$(cat "$f")
  if pid_alive "$pid"; then ALL_SIDS+=("$pid"); fi
done

if [ -d "$PIDS" ]; then
  stop_group 5 nova-compute nova-scheduler nova-conductor cinder-volume cinder-scheduler \
    nova-api cinder-api neutron-server glance-api placement-api keystone
  # Anything else recorded (a service added later) also goes before the infrastructure.
  others=()
  for f in "$PIDS"/*.pid; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .pid)
    case $name in rabbitmq | epmd | mariadb) ;; *) others+=("$name") ;; esac
  done
  [ "${#others[@]}" -eq 0 ] || stop_group 5 "${others[@]}"
  stop_group 15 rabbitmq
  stop_group 5 epmd
  stop_group 30 mariadb
fi

# Verify: no process of any session we started may survive.
left=""
for pid in "${ALL_SIDS[@]}"; do left="$left $(session_members "$pid")"; done
left=$(echo $left)
if [ -n "$left" ]; then
  echo "openstack down: processes still running:" >&2
  ps -o pid,sid,cmd -p "${left// /,}" >&2 || true
  exit 1
fi

if [ "$PURGE" = 1 ]; then
  rm -rf "$STATE"
  echo "openstack: stopped, state removed"
else
  echo "openstack: stopped (state kept in $STATE)"
fi
