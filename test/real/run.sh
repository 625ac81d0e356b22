#!/usr/bin/env bash
# `npm run test:real`: brings up real OpenStack Zed, Ceph 16 and NATS JetStream from Debian's
# packages on 127.0.0.1, runs every test/real/**/*.real.test.ts against them, and stops them.
# Needs root on Debian 12. STATSMOLN_REAL_KEEP=1 leaves the services running afterwards; arguments
# are passed to jest (for example a single test file).
set -euo pipefail
cd "$(dirname "$0")/../.."

stop_all() {
  [ "${STATSMOLN_REAL_KEEP:-0}" = 1 ] && { echo "services left running (STATSMOLN_REAL_KEEP=1)"; return; }
  bash test/real/nats/down.sh || true
  bash test/real/ceph/down.sh || true
  bash test/real/openstack/down.sh || true
}
trap stop_all EXIT

phase() { echo "== $(date -u +%H:%M:%S) $*"; }

phase "OpenStack up"
bash test/real/openstack/up.sh
phase "Ceph up"
bash test/real/ceph/up.sh
phase "NATS up"
bash test/real/nats/up.sh

phase "OpenStack end-to-end check"
/usr/bin/python3 test/real/openstack/verify.py

phase "contract suites against the real services"
set -a
# shellcheck disable=SC1091
. "${STATSMOLN_REAL_DIR:-/tmp/statsmoln-real}/openstack/env"
set +a
node --experimental-vm-modules --no-warnings node_modules/jest/bin/jest.js -c jest.real.config.js "$@"
phase "done"
