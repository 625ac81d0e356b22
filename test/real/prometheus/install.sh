#!/usr/bin/env bash
# Installs promtool (Debian's prometheus package) for test/real/monitoring.real.test.ts, which checks
# and unit-tests the alert rules in deploy/monitoring/. Nothing is started: promtool works on files.
set -euo pipefail

if ! command -v promtool >/dev/null 2>&1; then
  # Where an init system runs, the package would start a Prometheus server on *:9090; a policy-rc.d
  # that refuses every start keeps it stopped while the package installs.
  policy=/usr/sbin/policy-rc.d
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends prometheus ||
    { apt-get -o DPkg::Lock::Timeout=900 update && apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends prometheus; }
fi
promtool --version 2>&1 | head -1
