#!/usr/bin/env bash
# Brings up real OpenStack Zed (Debian 12 packages) on 127.0.0.1 for statsmoln's contract tests:
# MariaDB, RabbitMQ, Keystone, Placement, Nova (API, conductor, scheduler, compute with the fake
# virt driver), Cinder (API, scheduler, volume with a fake driver), Neutron server (ML2, no
# agents) and Glance (file store). Every daemon runs in its own session; its PID is recorded in
# $STATE/pids and down.sh stops it by PID. Run as root; no systemd needed.
#
#   bash test/real/openstack/up.sh      # install if needed, start, wait, provision
#   bash test/real/openstack/down.sh    # stop everything (add --purge to delete the state)
#
# State: ${STATSMOLN_REAL_DIR:-/tmp/statsmoln-real}/openstack (or STATSMOLN_OPENSTACK_DIR).
# Outputs: $STATE/clouds.yaml (cloud "statsmoln-real") and $STATE/env (KEY=value lines).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$HERE/common.sh"

T_ALL=$(now)
mkdir -p "$STATE" "$LOG" "$PIDS" "$STATE/etc" "$STATE/run" "$STATE/markers"
chmod 700 "$STATE"

# ---------------------------------------------------------------------------------------------
phase_begin install
bash "$HERE/install.sh" > "$LOG/install.log" 2>&1 || fail_log install "$LOG/install.log"
tail -n 1 "$LOG/install.log"
phase_end install

check_ports_free

# ---------------------------------------------------------------------------------------------
phase_begin configure
bash "$HERE/configure.sh"
phase_end configure

# ---------------------------------------------------------------------------------------------
phase_begin mariadb+rabbitmq
if [ ! -d "$STATE/mysql/mysql" ]; then
  rm -rf "$STATE/mysql"
  mariadb-install-db --no-defaults --datadir="$STATE/mysql" --user=root \
    --auth-root-authentication-method=socket --skip-test-db > "$LOG/mariadb-install-db.log" 2>&1 \
    || fail_log mariadb-install-db "$LOG/mariadb-install-db.log"
fi
start_daemon mariadb /usr/sbin/mariadbd --no-defaults --datadir="$STATE/mysql" \
  --socket="$MYSQL_SOCK" --port=3306 --bind-address=127.0.0.1 --user=root \
  --pid-file="$STATE/run/mariadbd.pid" --log-error="$LOG/mariadb.log" --skip-name-resolve \
  --skip-log-bin --innodb-flush-log-at-trx-commit=2 --innodb-buffer-pool-size=128M \
  --max-connections=1000 --character-set-server=utf8 --collation-server=utf8_general_ci

# RabbitMQ: run our own epmd in the foreground (bound to loopback, stoppable by PID), then the
# broker as root with all its state in $STATE/rabbitmq.
mkdir -p "$STATE/rabbitmq"
[ -e "$STATE/rabbitmq/enabled_plugins" ] || echo '[].' > "$STATE/rabbitmq/enabled_plugins"
start_daemon epmd /usr/bin/epmd -address 127.0.0.1 -port 4369
wait_tcp epmd 4369 30
start_daemon rabbitmq env "${RABBIT_ENV[@]}" /usr/lib/rabbitmq/bin/rabbitmq-server

wait_for mariadb 60 mariadb-admin --socket="$MYSQL_SOCK" ping
mysql_root <<SQL
CREATE USER IF NOT EXISTS 'openstack'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS 'openstack'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON *.* TO 'openstack'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'openstack'@'localhost';
$(for db in $DATABASES; do echo "CREATE DATABASE IF NOT EXISTS $db;"; done)
SQL
phase_end mariadb+rabbitmq

# ---------------------------------------------------------------------------------------------
# Schema syncs of different services run in parallel; each runs once per state dir.
phase_begin db-sync
sync_keystone() {
  keystone_manage db_sync
  mkdir -p "$STATE/keystone/fernet-keys" "$STATE/keystone/credential-keys"
  [ -e "$STATE/keystone/fernet-keys/0" ] || keystone_manage fernet_setup --keystone-user root --keystone-group root
  [ -e "$STATE/keystone/credential-keys/0" ] || keystone_manage credential_setup --keystone-user root --keystone-group root
  keystone_manage bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
    --bootstrap-admin-url "$KEYSTONE_URL/v3/" --bootstrap-internal-url "$KEYSTONE_URL/v3/" \
    --bootstrap-public-url "$KEYSTONE_URL/v3/" --bootstrap-region-id RegionOne
}
sync_placement() { "$PY" /usr/bin/placement-manage --config-file "$STATE/etc/placement/placement.conf" db sync; }
sync_nova() {
  local conf=(--config-file "$STATE/etc/nova/nova.conf")
  "$PY" /usr/bin/nova-manage "${conf[@]}" api_db sync
  "$PY" /usr/bin/nova-manage "${conf[@]}" cell_v2 map_cell0 --database_connection "$(db_url nova_cell0)"
  if ! "$PY" /usr/bin/nova-manage "${conf[@]}" cell_v2 list_cells | grep -q ' cell1 '; then
    "$PY" /usr/bin/nova-manage "${conf[@]}" cell_v2 create_cell --name=cell1
  fi
  "$PY" /usr/bin/nova-manage "${conf[@]}" db sync
}
sync_cinder() { "$PY" /usr/bin/cinder-manage --config-file "$STATE/etc/cinder/cinder.conf" db sync; }
sync_neutron() {
  "$PY" /usr/bin/neutron-db-manage --config-file "$STATE/etc/neutron/neutron.conf" \
    --config-file "$STATE/etc/neutron/ml2_conf.ini" upgrade heads
}
sync_glance() { "$PY" /usr/bin/glance-manage --config-file "$STATE/etc/glance/glance-api.conf" db_sync; }

declare -A SYNC_PIDS=()
for svc in keystone placement nova cinder neutron glance; do
  if [ -e "$STATE/markers/sync-$svc" ]; then continue; fi
  (
    "sync_$svc" > "$LOG/sync-$svc.log" 2>&1
    touch "$STATE/markers/sync-$svc"
  ) &
  SYNC_PIDS[$svc]=$!
done
for svc in "${!SYNC_PIDS[@]}"; do
  wait "${SYNC_PIDS[$svc]}" || fail_log "sync-$svc" "$LOG/sync-$svc.log"
done
phase_end db-sync

# ---------------------------------------------------------------------------------------------
# The APIs and the Cinder workers start at once (the workers need only MariaDB and RabbitMQ).
# The Nova workers wait for their service user (registration): nova-conductor exits when its
# start-up call to Placement gets 401, and nova-compute's first resource-provider update would
# fail, with the next one a minute later.
phase_begin start-services
wait_tcp rabbitmq 5672 120
START_UTC=$(date -u '+%Y-%m-%d %H:%M:%S')
start_uwsgi keystone 5000 2 /usr/bin/keystone-wsgi-public
start_eventlet cinder-scheduler cinder.cmd.scheduler "$STATE/etc/cinder/cinder.conf"
start_eventlet cinder-volume cinder.cmd.volume "$STATE/etc/cinder/cinder.conf"
start_uwsgi placement-api 8778 1 /usr/bin/placement-api
start_uwsgi nova-api 8774 2 /usr/bin/nova-api-wsgi
start_uwsgi cinder-api 8776 1 /usr/bin/cinder-wsgi --pyargv "--config-file $STATE/etc/cinder/cinder.conf"
start_uwsgi neutron-server 9696 1 /usr/bin/neutron-api \
  --pyargv "--config-file $STATE/etc/neutron/neutron.conf --config-file $STATE/etc/neutron/ml2_conf.ini"
start_uwsgi glance-api 9292 1 /usr/bin/glance-wsgi-api
wait_http keystone "$KEYSTONE_URL/v3" 120
phase_end start-services

# ---------------------------------------------------------------------------------------------
# Registration runs again only when provision.py changed since the last successful run.
phase_begin register
register_stamp=$(sha256sum "$HERE/provision.py" | cut -c1-16)
if [ "$(cat "$STATE/markers/registered" 2> /dev/null)" != "$register_stamp" ]; then
  "$PY" "$HERE/provision.py" register > "$LOG/register.log" 2>&1 || fail_log register "$LOG/register.log"
  echo "$register_stamp" > "$STATE/markers/registered"
fi
start_eventlet nova-conductor nova.cmd.conductor "$STATE/etc/nova/nova.conf"
start_eventlet nova-scheduler nova.cmd.scheduler "$STATE/etc/nova/nova.conf"
start_eventlet nova-compute nova.cmd.compute "$STATE/etc/nova/nova.conf"
phase_end register

# ---------------------------------------------------------------------------------------------
phase_begin wait-ready
wait_http placement-api http://127.0.0.1:8778/ 120
wait_http nova-api http://127.0.0.1:8774/ 120
wait_http cinder-api http://127.0.0.1:8776/ 120
wait_http neutron-server http://127.0.0.1:9696/ 120
wait_http glance-api http://127.0.0.1:9292/ 120
# A service row from an earlier run looks "up" for a while: wait for a heartbeat from this run.
for binary in nova-conductor nova-scheduler nova-compute; do
  wait_heartbeat nova "$binary" "$START_UTC" 180
done
for binary in cinder-scheduler cinder-volume; do
  wait_heartbeat cinder "$binary" "$START_UTC" 180
done
wait_for "nova-compute (compute node record)" 180 mysql_has_row \
  "SELECT 1 FROM nova.compute_nodes WHERE host='$SERVICE_HOST' AND deleted=0"
"$PY" /usr/bin/nova-manage --config-file "$STATE/etc/nova/nova.conf" cell_v2 discover_hosts \
  > "$LOG/discover-hosts.log" 2>&1 || fail_log discover-hosts "$LOG/discover-hosts.log"
wait_for "nova-compute (host mapping)" 30 mysql_has_row \
  "SELECT 1 FROM nova_api.host_mappings WHERE host='$SERVICE_HOST'"
wait_for "nova-compute (placement inventory)" 180 mysql_has_row \
  "SELECT 1 FROM placement.inventories i JOIN placement.resource_providers r ON r.id=i.resource_provider_id WHERE i.resource_class_id=0"
phase_end wait-ready

# ---------------------------------------------------------------------------------------------
phase_begin provision
"$PY" "$HERE/provision.py" provision > "$LOG/provision.log" 2>&1 || fail_log provision "$LOG/provision.log"
phase_end provision

echo "openstack: ready in $(elapsed "$T_ALL") s; RSS $(rss_total_mib) MiB; clouds.yaml: $STATE/clouds.yaml; env: $STATE/env"
