#!/usr/bin/env bash
# Writes the minimal configuration of every service under $STATE/etc (rewritten on every up.sh,
# so a change here takes effect at the next start). Paste pipelines and policies stay the
# packages' own.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=common.sh
. "$HERE/common.sh"

E="$STATE/etc"
mkdir -p "$E"/{keystone,placement,nova,cinder,neutron,glance} "$STATE"/{nova,cinder,neutron,glance}
mkdir -p "$STATE/rabbitmq" "$STATE/nova/instances" "$STATE/glance/images" "$STATE/glance/staging" "$STATE/glance/tasks"
cp /etc/nova/api-paste.ini "$E/nova/api-paste.ini"
cp /etc/cinder/api-paste.ini "$E/cinder/api-paste.ini"
cp /etc/neutron/api-paste.ini "$E/neutron/api-paste.ini"
cp /etc/glance/glance-api-paste.ini "$E/glance/glance-api-paste.ini"
umask 077 # the files hold passwords

# authtoken USER: the [keystone_authtoken] section for a service user.
authtoken() {
  cat << EOF
[keystone_authtoken]
www_authenticate_uri = $KEYSTONE_URL/
auth_url = $KEYSTONE_URL/
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $1
password = $SERVICE_PASSWORD
region_name = RegionOne
EOF
}
# service_auth SECTION USER: keystoneauth options for calls a service makes as itself.
service_auth() {
  cat << EOF
[$1]
auth_type = password
auth_url = $KEYSTONE_URL/v3
project_domain_name = Default
user_domain_name = Default
project_name = service
username = $2
password = $SERVICE_PASSWORD
region_name = RegionOne
valid_interfaces = public
EOF
}

RABBIT_URL="rabbit://guest:guest@127.0.0.1:5672/"

cat > "$STATE/rabbitmq/rabbitmq.conf" << EOF
listeners.tcp.default = 127.0.0.1:5672
loopback_users.guest = true
log.console = true
log.file = false
EOF

cat > "$E/keystone/keystone.conf" << EOF
[DEFAULT]
use_stderr = true
[database]
connection = $(db_url keystone)
[token]
provider = fernet
[fernet_tokens]
key_repository = $STATE/keystone/fernet-keys/
[credential]
key_repository = $STATE/keystone/credential-keys/
EOF

cat > "$E/placement/placement.conf" << EOF
[DEFAULT]
use_stderr = true
[placement_database]
connection = $(db_url placement)
[api]
auth_strategy = keystone
$(authtoken placement)
EOF

cat > "$E/nova/nova.conf" << EOF
[DEFAULT]
use_stderr = true
host = $SERVICE_HOST
my_ip = 127.0.0.1
transport_url = $RABBIT_URL
state_path = $STATE/nova
instances_path = $STATE/nova/instances
enabled_apis = osapi_compute
compute_driver = fake.SmallFakeDriver
periodic_fuzzy_delay = 0
report_interval = 5
cpu_allocation_ratio = 16.0
ram_allocation_ratio = 1.5
disk_allocation_ratio = 1.0
vif_plugging_is_fatal = false
vif_plugging_timeout = 0
[api]
auth_strategy = keystone
[api_database]
connection = $(db_url nova_api)
[database]
connection = $(db_url nova)
[wsgi]
api_paste_config = $E/nova/api-paste.ini
[conductor]
workers = 1
[scheduler]
workers = 1
[oslo_concurrency]
lock_path = $STATE/nova/lock
[oslo_messaging_notifications]
driver = noop
[vnc]
enabled = false
[cinder]
os_region_name = RegionOne
$(authtoken nova)
$(service_auth placement nova)
$(service_auth neutron nova)
EOF

cat > "$E/cinder/cinder.conf" << EOF
[DEFAULT]
use_stderr = true
host = $SERVICE_HOST
my_ip = 127.0.0.1
transport_url = $RABBIT_URL
auth_strategy = keystone
state_path = $STATE/cinder
api_paste_config = $E/cinder/api-paste.ini
enabled_backends = fake
report_interval = 5
# The scheduler learns the backend's capabilities from cinder-volume's periodic report (60 s by
# default); until the first one arrives every create fails with "No valid backend was found".
periodic_interval = 5
osapi_volume_workers = 1
[database]
connection = $(db_url cinder)
[fake]
volume_driver = statsmoln_cinder_fake.ExtendableFakeDriver
volume_backend_name = fake
[key_manager]
backend = cinder.keymgr.conf_key_mgr.ConfKeyManager
fixed_key = $CINDER_FIXED_KEY
[oslo_concurrency]
lock_path = $STATE/cinder/lock
[oslo_messaging_notifications]
driver = noop
$(authtoken cinder)
$(service_auth nova cinder)
EOF

cat > "$E/neutron/neutron.conf" << EOF
[DEFAULT]
use_stderr = true
host = $SERVICE_HOST
core_plugin = ml2
service_plugins = router
allow_overlapping_ips = true
auth_strategy = keystone
# No agents consume RPC here; the fake transport keeps neutron-server off the broker.
transport_url = fake://
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
dhcp_agent_notification = false
api_paste_config = $E/neutron/api-paste.ini
state_path = $STATE/neutron
[database]
connection = $(db_url neutron)
[oslo_concurrency]
lock_path = $STATE/neutron/lock
[oslo_messaging_notifications]
driver = noop
$(authtoken neutron)
$(service_auth nova neutron)
EOF

cat > "$E/neutron/ml2_conf.ini" << EOF
[ml2]
type_drivers = flat,vxlan
tenant_network_types = vxlan
mechanism_drivers = statsmoln_bind_all
extension_drivers = port_security
[ml2_type_flat]
flat_networks = external
[ml2_type_vxlan]
vni_ranges = 1:65535
EOF

cat > "$E/glance/glance-api.conf" << EOF
[DEFAULT]
use_stderr = true
enabled_backends = fs:file
bind_host = 127.0.0.1
bind_port = 9292
workers = 1
[database]
connection = $(db_url glance)
[paste_deploy]
flavor = keystone
config_file = $E/glance/glance-api-paste.ini
[glance_store]
default_backend = fs
[fs]
filesystem_store_datadir = $STATE/glance/images/
[os_glance_staging_store]
filesystem_store_datadir = $STATE/glance/staging/
[os_glance_tasks_store]
filesystem_store_datadir = $STATE/glance/tasks/
[oslo_concurrency]
lock_path = $STATE/glance/lock
$(authtoken glance)
EOF
