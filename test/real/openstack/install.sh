#!/usr/bin/env bash
# Installs the Debian 12 (OpenStack Zed) packages that up.sh runs. Safe to run again: apt-get
# update runs once per machine (a stamp file), and an install with everything present is a no-op.
# Services are never started by the packages: policy-rc.d refuses (we create one if missing).
set -euo pipefail

PACKAGES=(
  mariadb-server rabbitmq-server
  keystone placement-api
  nova-api nova-conductor nova-scheduler python3-nova
  cinder-api cinder-scheduler python3-cinder
  neutron-server glance-api
  uwsgi uwsgi-plugin-python3
  python3-keystoneclient python3-openstackclient
  curl
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi
echo "install: missing ${missing[*]}"

created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() { if [ "$created_policy" = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
stamp=/var/lib/apt/statsmoln-apt-updated
if [ ! -e "$stamp" ]; then
  apt-get -o DPkg::Lock::Timeout=900 update -q
  touch "$stamp"
fi
apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends \
  -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${PACKAGES[@]}"
