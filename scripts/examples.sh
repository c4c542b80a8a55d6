#!/usr/bin/env bash
# scripts/examples.sh: runs the examples against the running sandbox (its VIRTWIRE_*
# environment sourced, as scripts/test.sh does); fails when one fails.
#   readme     README.md's example (the domains of the qemu driver)
#   seed       the seed's whole workflow on the qemu driver: dir pool, qcow2 volume, network,
#              define/start/list/suspend/resume/dumpxml/redefine/hot-plug/destroy/undefine
#   lifecycle  the seed's domain workflow on the test driver
#   domains    virsh dominfo of every domain on the test driver
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${VIRTWIRE_SOCKET:?source the sandbox environment first (scripts/sandbox.sh env)}"
: "${VIRTWIRE_SANDBOX:?source the sandbox environment first (scripts/sandbox.sh env)}"

QEMU="qemu+unix:///system?socket=$VIRTWIRE_SOCKET"
TEST="test+unix:///default?socket=$VIRTWIRE_SOCKET"

run() {
  echo "== cargo run --example $*"
  cargo run -q --example "$@"
}

run readme -- "$QEMU"
run seed -- "$QEMU" "$VIRTWIRE_SANDBOX/pools/virtwire-seed"
run lifecycle -- "$TEST"
run domains -- "$TEST"
