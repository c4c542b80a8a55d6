#!/usr/bin/env bash
# The main demo: installs what is missing, starts a sandboxed libvirtd, runs the seed's virsh
# workflow through the API (define, start, list, suspend, resume, dumpxml, destroy, undefine)
# and the seed's domain listing, then stops the sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
trap 'bash scripts/sandbox.sh stop >/dev/null' EXIT
bash scripts/sandbox.sh start
# shellcheck disable=SC1090
source "$(bash scripts/sandbox.sh env)"
URI="test+unix:///default?socket=$VIRTWIRE_SOCKET"
cargo build -q --examples
echo "== the seed's workflow on $URI"
cargo run -q --example lifecycle -- "$URI"
echo
echo "== the domains on $URI"
cargo run -q --example domains -- "$URI"
echo
echo "== virsh dominfo test, for comparison"
virsh -c "$URI" dominfo test
