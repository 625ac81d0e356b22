#!/usr/bin/env bash
# Brings up a real single-node Ceph (Debian 12's 16.2.x pacific) on 127.0.0.1 without systemd:
# mon, mgr with the dashboard module (HTTP, no TLS), one memstore OSD and radosgw with the usage log.
# Writes $STATE/env with the endpoints and credentials, $STATE/pids with the daemons' PIDs.
# Stop it with test/real/ceph/down.sh. Safe to re-run: an already running cluster is reused.
set -euo pipefail

STATE="${STATSMOLN_REAL_DIR:-/tmp/statsmoln-real}/ceph"
DASHBOARD_PORT="${CEPH_DASHBOARD_PORT:-8080}"
RGW_PORT="${CEPH_RGW_PORT:-8000}"
OSD_BACKEND="${CEPH_OSD_BACKEND:-memstore}" # or bluestore (sparse file, survives restarts)
CONF="$STATE/ceph.conf"
export CEPH_CONF="$CONF"
t0=$(date +%s.%N)
elapsed() { printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)"; }
log() { echo "[ceph-up +$(elapsed)s] $*"; }
ceph_() { ceph --conf "$CONF" --connect-timeout 10 "$@"; }
# Say which step failed and show the daemon logs, so a failed bring-up is never silent.
fail() {
  echo "[ceph-up +$(elapsed)s] FAILED: $*" >&2
  for f in "$STATE"/log/*.log; do
    [[ -s "$f" ]] || continue
    echo "--- last lines of $f" >&2
    tail -n 15 "$f" >&2
  done
  exit 1
}
trap 'fail "line $LINENO: $BASH_COMMAND (exit $?)"' ERR

all_running() {
  local pid
  while read -r _ pid; do kill -0 "$pid" 2>/dev/null || return 1; done <"$STATE/pids"
}
# A pids file whose daemons are gone (a run killed before down.sh) falls through to a fresh bring-up.
if [[ -f "$STATE/pids" ]] && all_running; then
  if timeout 10 ceph --conf "$CONF" --connect-timeout 5 health >/dev/null 2>&1; then
    log "already running (state $STATE); env in $STATE/env"
    exit 0
  fi
fi

# --- install ---------------------------------------------------------------------------------
PACKAGES=(ceph-mon ceph-mgr ceph-osd radosgw ceph-mgr-dashboard ceph-common uuid-runtime curl bc)
missing=()
for p in "${PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
  fi
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  ((created_policy)) && rm -f /usr/sbin/policy-rc.d
fi
t_install=$(elapsed)
log "packages ready"

# --- configuration -----------------------------------------------------------------------------
if [[ -f "$STATE/pids" ]]; then "$(dirname "$0")/down.sh" >/dev/null 2>&1 || true; fi
for port in "$DASHBOARD_PORT" "$RGW_PORT" 3300 6789; do
  if (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    fail "127.0.0.1:$port is already in use; stop what listens there (or set CEPH_DASHBOARD_PORT / CEPH_RGW_PORT)"
  fi
done
rm -rf "$STATE"
mkdir -p "$STATE"/{mon,mgr,osd,rgw,log,run}
FSID=$(uuidgen)
cat >"$CONF" <<EOF
[global]
fsid = $FSID
mon host = v2:127.0.0.1:3300,v1:127.0.0.1:6789
public network = 127.0.0.0/8
ms bind ipv4 = true
ms bind ipv6 = false
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $STATE/keyring
pid file = $STATE/run/\$name.pid
log file = $STATE/log/\$name.log
run dir = $STATE/run
osd pool default size = 1
osd pool default min size = 1
osd pool default pg autoscale mode = off
osd pool default pg num = 8
osd pool default pgp num = 8
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
osd objectstore = $OSD_BACKEND
osd crush chooseleaf type = 0
paxos propose interval = 0.1
mgr stats period = 1
mon pg warn min per osd = 0
mon data avail warn = 2
mon warn on insecure global id reclaim allowed = false
rbd default features = layering,exclusive-lock,object-map,fast-diff,deep-flatten

[client]
admin socket =
log file = /dev/null

[mon]
admin socket = $STATE/run/\$name.asok
[mgr]
admin socket = $STATE/run/\$name.asok
[osd]
admin socket = $STATE/run/\$name.asok

[mon.a]
mon data = $STATE/mon/a

[mgr.x]
mgr data = $STATE/mgr/x

[osd.0]
osd data = $STATE/osd/0
memstore device bytes = 4294967296
bluestore block path = $STATE/osd/block
bluestore block size = 10737418240
bluestore block create = true
osd max object name len = 256
osd max object namespace len = 64

[client.rgw.a]
admin socket = $STATE/run/\$name.asok
log file = $STATE/log/\$name.log
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $STATE/rgw
rgw enable usage log = true
rgw usage log tick interval = 1
rgw usage log flush threshold = 1
rgw dns name = 127.0.0.1
EOF

log "bootstrapping mon (fsid $FSID)"
ceph-authtool --create-keyring "$STATE/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
ceph-authtool "$STATE/keyring" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' \
  --cap mds 'allow *' --cap mgr 'allow *' >/dev/null
ceph-authtool "$STATE/keyring" --gen-key -n mgr.x --cap mon 'allow profile mgr' --cap osd 'allow *' --cap mds 'allow *' >/dev/null
ceph-authtool "$STATE/keyring" --gen-key -n client.rgw.a --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null
monmaptool --create --fsid "$FSID" --addv a '[v2:127.0.0.1:3300,v1:127.0.0.1:6789]' "$STATE/monmap" >/dev/null
ceph-mon --conf "$CONF" --mkfs -i a --monmap "$STATE/monmap" --keyring "$STATE/keyring"
ceph-mon --conf "$CONF" -i a
up=0
for _ in $(seq 100); do ceph_ mon stat >/dev/null 2>&1 && up=1 && break; sleep 0.2; done
((up)) || fail "the mon did not answer within 20 s"
log "mon up"

# Dashboard options must be in the config database before the mgr first starts.
ceph_ config set mgr mgr/dashboard/ssl false --force
ceph_ config set mgr mgr/dashboard/server_addr 127.0.0.1 --force
ceph_ config set mgr mgr/dashboard/server_port "$DASHBOARD_PORT" --force
ceph_ config set mgr mgr/dashboard/x/server_addr 127.0.0.1 --force
ceph_ config set mgr mgr/dashboard/x/server_port "$DASHBOARD_PORT" --force
ceph_ auth import -i "$STATE/keyring" >/dev/null 2>&1
ceph-mgr --conf "$CONF" -i x

log "creating osd.0 ($OSD_BACKEND)"
OSD_UUID=$(uuidgen)
OSD_SECRET=$(ceph-authtool --gen-print-key)
echo "{\"cephx_secret\": \"$OSD_SECRET\"}" >"$STATE/osd/secret.json"
OSD_ID=$(ceph_ osd new "$OSD_UUID" -i "$STATE/osd/secret.json")
rm -f "$STATE/osd/secret.json"
ceph-authtool --create-keyring "$STATE/osd/0/keyring" --name "osd.$OSD_ID" --add-key "$OSD_SECRET" >/dev/null 2>&1 ||
  { mkdir -p "$STATE/osd/0" && ceph-authtool --create-keyring "$STATE/osd/0/keyring" --name "osd.$OSD_ID" --add-key "$OSD_SECRET" >/dev/null; }
ceph-osd --conf "$CONF" -i "$OSD_ID" --mkfs --osd-uuid "$OSD_UUID" --keyring "$STATE/osd/0/keyring" >/dev/null 2>&1
ceph-osd --conf "$CONF" -i "$OSD_ID" --keyring "$STATE/osd/0/keyring" 2>>"$STATE/log/osd.start.log"

# Pools while the OSD boots: rbd for images, the RGW pools so radosgw starts without waiting.
ceph_ osd pool create rbd 8 >/dev/null 2>&1 &
for p in .rgw.root default.rgw.log default.rgw.control default.rgw.meta default.rgw.buckets.index default.rgw.buckets.data; do
  ceph_ osd pool create "$p" 8 >/dev/null 2>&1 &
done
wait
for p in .rgw.root default.rgw.log default.rgw.control default.rgw.meta default.rgw.buckets.index default.rgw.buckets.data; do
  ceph_ osd pool application enable "$p" rgw >/dev/null 2>&1 &
done
ceph_ osd pool application enable rbd rbd >/dev/null 2>&1 &
wait
rbd --conf "$CONF" pool init rbd

radosgw --conf "$CONF" -n client.rgw.a --keyring "$STATE/keyring"

# Disable mgr modules we do not use (about 150 MiB less); telemetry stays (disabling it → HEALTH_ERR).
for m in restful iostat nfs prometheus; do ceph_ mgr module disable "$m" >/dev/null 2>&1 || true; done
# The mon refuses to enable a module until an active mgr has reported it ("all mgr daemons do not
# support module"), and a fresh mgr reports a few seconds after it starts: retry until then.
enabled=0
for _ in $(seq 120); do
  if out=$(ceph_ mgr module enable dashboard 2>&1); then enabled=1 && break; fi
  sleep 0.5
done
((enabled)) || fail "the mgr did not offer the dashboard module within 60 s: $out"

log "waiting for the dashboard on 127.0.0.1:$DASHBOARD_PORT"
up=0
for _ in $(seq 300); do
  curl -fsS -o /dev/null "http://127.0.0.1:$DASHBOARD_PORT/api/health/minimal" -H 'Accept: application/vnd.ceph.api.v1.0+json' 2>/dev/null && up=1 && break
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$DASHBOARD_PORT/api/summary" || true)
  [[ "$code" == 401 ]] && up=1 && break
  sleep 0.2
done
((up)) || fail "the dashboard did not answer on 127.0.0.1:$DASHBOARD_PORT within 60 s (is the port taken? $(ss -ltnp "sport = :$DASHBOARD_PORT" 2>/dev/null | tail -n +2 | tr -s ' ' || true))"

DASHBOARD_USER=statsmoln-admin
DASHBOARD_PASSWORD="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')Aa1!"
printf '%s' "$DASHBOARD_PASSWORD" >"$STATE/dashboard-password"
ceph_ dashboard ac-user-create "$DASHBOARD_USER" -i "$STATE/dashboard-password" administrator >/dev/null
rm -f "$STATE/dashboard-password"

log "waiting for radosgw on 127.0.0.1:$RGW_PORT"
up=0
for _ in $(seq 300); do curl -fsS -o /dev/null "http://127.0.0.1:$RGW_PORT/" 2>/dev/null && up=1 && break; sleep 0.2; done
((up)) || fail "radosgw did not answer on 127.0.0.1:$RGW_PORT within 60 s"
RGW_USER_JSON=$(radosgw-admin --conf "$CONF" user create --uid statsmoln-admin --display-name "statsmoln admin" \
  --caps 'users=*;buckets=*;usage=*;metadata=*;zone=*')
RGW_ACCESS_KEY=$(echo "$RGW_USER_JSON" | python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"][0]["access_key"])')
RGW_SECRET_KEY=$(echo "$RGW_USER_JSON" | python3 -c 'import json,sys; print(json.load(sys.stdin)["keys"][0]["secret_key"])')

log "waiting for HEALTH_OK"
for _ in $(seq 150); do
  h=$(ceph_ health 2>/dev/null || true)
  [[ "$h" == HEALTH_OK* ]] && break
  sleep 0.2
done
log "health: $(ceph_ health)"

pid_of() { cat "$STATE/run/$1.pid"; }
{
  echo "mon.a $(pid_of mon.a)"
  echo "mgr.x $(pid_of mgr.x)"
  echo "osd.0 $(pid_of osd.0)"
  echo "client.rgw.a $(pid_of client.rgw.a)"
} >"$STATE/pids"

umask 077
cat >"$STATE/env" <<EOF
CEPH_CONF=$CONF
CEPH_DASHBOARD_URL=http://127.0.0.1:$DASHBOARD_PORT
CEPH_DASHBOARD_USER=$DASHBOARD_USER
CEPH_DASHBOARD_PASSWORD=$DASHBOARD_PASSWORD
CEPH_RGW_URL=http://127.0.0.1:$RGW_PORT
CEPH_RGW_ACCESS_KEY=$RGW_ACCESS_KEY
CEPH_RGW_SECRET_KEY=$RGW_SECRET_KEY
CEPH_RBD_POOL=rbd
EOF

rss_kib=0
while read -r _ pid; do rss_kib=$((rss_kib + $(awk '/VmRSS/ {print $2}' "/proc/$pid/status"))); done <"$STATE/pids"
log "ready: install ${t_install}s, total $(elapsed)s, RSS $((rss_kib / 1024)) MiB; env in $STATE/env"
log "dashboard http://127.0.0.1:$DASHBOARD_PORT  rgw http://127.0.0.1:$RGW_PORT  pids in $STATE/pids"
