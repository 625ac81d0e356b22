# Shared by up.sh, configure.sh and down.sh: paths, generated credentials and small helpers.
# shellcheck shell=bash

STATE=${STATSMOLN_OPENSTACK_DIR:-${STATSMOLN_REAL_DIR:-/tmp/statsmoln-real}/openstack}
export STATE
LOG="$STATE/log"
PIDS="$STATE/pids"
PY=/usr/bin/python3 # the Debian interpreter with the OpenStack libraries, never a pyenv shim
MYSQL_SOCK="$STATE/run/mysqld.sock"
KEYSTONE_URL=http://127.0.0.1:5000
SERVICE_HOST=statsmoln-real # fixed service host name, so rows survive hostname changes
DATABASES="keystone placement nova_api nova nova_cell0 cinder neutron glance"
PORTS="3306 4369 5672 25672 5000 8774 8776 8778 9292 9696"
export PYTHONPATH="$HERE/python${PYTHONPATH:+:$PYTHONPATH}"

RABBIT_ENV=(
  HOME="$STATE/rabbitmq"
  RABBITMQ_NODENAME=rabbit@localhost
  RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
  RABBITMQ_NODE_PORT=5672
  RABBITMQ_DIST_PORT=25672
  ERL_EPMD_ADDRESS=127.0.0.1
  ERL_EPMD_PORT=4369
  RABBITMQ_MNESIA_BASE="$STATE/rabbitmq/mnesia"
  RABBITMQ_LOG_BASE="$LOG/rabbitmq"
  RABBITMQ_LOGS=-
  RABBITMQ_ENABLED_PLUGINS_FILE="$STATE/rabbitmq/enabled_plugins"
  RABBITMQ_CONFIG_FILE="$STATE/rabbitmq/rabbitmq.conf"
  RABBITMQ_ADVANCED_CONFIG_FILE="$STATE/rabbitmq/advanced.config"
  RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"
)

# Credentials are generated once per state dir and kept there (mode 600), never printed.
load_secrets() {
  mkdir -p "$STATE"
  if [ ! -s "$STATE/secrets" ]; then
    gen() { head -c 24 /dev/urandom | base64 | tr -d '/+=' | head -c 24; }
    umask 077
    {
      echo "ADMIN_PASSWORD=$(gen)"
      echo "SERVICE_PASSWORD=$(gen)"
      echo "DB_PASSWORD=$(gen)"
      echo "CINDER_FIXED_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    } > "$STATE/secrets"
    umask 022
  fi
  # shellcheck disable=SC1091
  . "$STATE/secrets"
  export ADMIN_PASSWORD SERVICE_PASSWORD DB_PASSWORD CINDER_FIXED_KEY
}
[ "${SKIP_SECRETS:-0}" = 1 ] || load_secrets

db_url() { echo "mysql+pymysql://openstack:$DB_PASSWORD@127.0.0.1:3306/$1?charset=utf8"; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
PHASE_T=0
PHASE_NAME=
phase_begin() { PHASE_NAME=$1; PHASE_T=$(now); }
phase_end() { printf 'phase %-18s %6s s\n' "$PHASE_NAME" "$(elapsed "$PHASE_T")"; }

# fail_log NAME FILE: report a failure with the tail of the log that explains it, exit non-zero.
fail_log() {
  echo "openstack up: FAILED at $1 (phase ${PHASE_NAME:-?}); last lines of $2:" >&2
  # uwsgi repeats one line per failed request; the start-up error above them is what matters.
  grep -v -E '^\[pid: |no python application found' "$2" | tail -n 40 >&2 || true
  exit 1
}

pid_alive() {
  # A recorded PID counts only if the process is alive and still leads its own session (we start
  # every daemon with setsid), which guards against a reused PID.
  local pid=$1
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  local sid
  sid=$(awk '{print $6}' "/proc/$pid/stat" 2>/dev/null) || return 1
  [ "$sid" = "$pid" ]
}

service_pid() { [ -s "$PIDS/$1.pid" ] && cat "$PIDS/$1.pid"; }

# start_daemon NAME CMD...: start CMD in a new session with output to $LOG/NAME.log, record PID.
start_daemon() {
  local name=$1
  shift
  local pid
  pid=$(service_pid "$name" || true)
  if pid_alive "$pid"; then
    echo "  $name already running (pid $pid)"
    return 0
  fi
  setsid "$@" >> "$LOG/$name.log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
}

# start_uwsgi NAME PORT PROCESSES WSGI_FILE [EXTRA uwsgi ARGS...]
start_uwsgi() {
  local name=$1 port=$2 processes=$3 wsgi=$4
  shift 4
  start_daemon "$name" env \
    OS_KEYSTONE_CONFIG_DIR="$STATE/etc/keystone" OS_KEYSTONE_CONFIG_FILES=keystone.conf \
    OS_PLACEMENT_CONFIG_DIR="$STATE/etc/placement" \
    OS_NOVA_CONFIG_DIR="$STATE/etc/nova" \
    OS_GLANCE_CONFIG_DIR="$STATE/etc/glance" \
    /usr/bin/uwsgi --plugins python3 --http-socket "127.0.0.1:$port" --wsgi-file "$wsgi" \
    --master --die-on-term --no-orphans --enable-threads --lazy-apps --processes "$processes" \
    --threads 1 --buffer-size 65535 --listen 100 --add-header 'Connection: close' \
    --chdir "$STATE" "$@"
}

# start_eventlet NAME PYTHON_MODULE CONFIG_FILE: an oslo.service daemon from the python3-* module
# (avoids the nova-compute and cinder-volume packages, which pull in libvirt, lvm2 and iSCSI).
start_eventlet() {
  local name=$1 module=$2 conf=$3
  start_daemon "$name" "$PY" -c "import sys; from $module import main; sys.exit(main())" \
    --config-file "$conf"
}

service_died() {
  local name=$1 pid
  pid=$(service_pid "$name" || true)
  [ -n "$pid" ] && ! pid_alive "$pid"
}

# wait_for WHAT TIMEOUT CMD...: poll CMD until it succeeds; fail with the service log on timeout
# or when the service named by the first word of WHAT has died.
wait_for() {
  local what=$1 timeout=$2
  shift 2
  local svc=${what%% *} deadline
  deadline=$(( $(date +%s) + timeout ))
  until "$@" > /dev/null 2>&1; do
    if service_died "$svc"; then
      fail_log "$what (process exited)" "$LOG/$svc.log"
    fi
    if [ "$(date +%s)" -ge "$deadline" ]; then
      fail_log "$what (not ready after ${timeout}s)" "$LOG/$svc.log"
    fi
    sleep 0.5
  done
}

http_answers() {
  local code
  code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$1") || return 1
  [ "$code" -ge 200 ] && [ "$code" -lt 500 ]
}
wait_http() { wait_for "$1" "$3" http_answers "$2"; }

tcp_open() { (exec 3<> "/dev/tcp/127.0.0.1/$1") 2> /dev/null; }
wait_tcp() { wait_for "$1" "$3" tcp_open "$2"; }

mysql_root() { mariadb --socket="$MYSQL_SOCK" -uroot "$@"; }
mysql_has_row() { [ -n "$(mysql_root -N -B -e "$1" 2> /dev/null)" ]; }

# wait_heartbeat DB BINARY START_UTC TIMEOUT: the service reported after START_UTC.
wait_heartbeat() {
  local db=$1 binary=$2 start=$3 timeout=$4
  wait_for "$binary heartbeat" "$timeout" mysql_has_row \
    "SELECT 1 FROM $db.services WHERE \`binary\`='$binary' AND deleted=0
     AND \`host\` LIKE '$SERVICE_HOST%' AND GREATEST(COALESCE(updated_at, created_at), created_at) > '$start'"
}

keystone_manage() { "$PY" /usr/bin/keystone-manage --config-file "$STATE/etc/keystone/keystone.conf" "$@"; }

check_ports_free() {
  local port busy=""
  for port in $PORTS; do
    if tcp_open "$port"; then busy="$busy $port"; fi
  done
  [ -z "$busy" ] && return 0
  # Ports held by our own live daemons are fine (up.sh run again); anything else is a conflict.
  local any_ours=0 f
  for f in "$PIDS"/*.pid; do
    [ -e "$f" ] && pid_alive "$(cat "$f")" && any_ours=1
  done
  if [ "$any_ours" = 0 ]; then
    echo "openstack up: ports already in use by other processes:$busy" >&2
    exit 1
  fi
}

rss_total_mib() {
  local total=0 f pid
  for f in "$PIDS"/*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    pid_alive "$pid" || continue
    for p in $(pgrep -s "$pid"); do
      total=$(( total + $(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2> /dev/null || echo 0) ))
    done
  done
  echo $(( total / 1024 ))
}
