#!/usr/bin/env bash
# scripts/rvirsh-demo.sh [RVIRSH] — the seed's virsh workflow run with rvirsh against the
# sandboxed libvirtd: define, start, list, suspend, resume, dumpxml, destroy, undefine, then a
# volume (created in a pool, listed, deleted) and a network (listed, stopped, started).
# Needs the sandbox's environment (source "$(bash scripts/sandbox.sh env)"). RVIRSH defaults
# to the static build, target/x86_64-unknown-linux-musl/dist/rvirsh, whose linkage and size
# are shown first. Exits non-zero as soon as a step fails.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RVIRSH=${1:-target/x86_64-unknown-linux-musl/dist/rvirsh}
: "${VIRTWIRE_SOCKET:?source the sandbox environment first: source \"\$(bash scripts/sandbox.sh env)\"}"
: "${VIRTWIRE_SANDBOX:?source the sandbox environment first}"

if command -v file >/dev/null; then
  file -L "$RVIRSH"
fi
echo "rvirsh: $(stat -c %s "$RVIRSH") bytes"

# a private copy of the test driver's node, and a domain of our own to define on it
work=$(mktemp -d "$VIRTWIRE_SANDBOX/rvirsh-demo.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp tests/data/testnode.xml "$work/node.xml"
cat >"$work/demo.xml" <<'XML'
<domain type='test'>
  <name>demo</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type>hvm</type></os>
</domain>
XML
URI="test+unix://$work/node.xml?socket=$VIRTWIRE_SOCKET"

# one session (the test driver keeps a node's changes for the connection that made them),
# each command echoed first; rvirsh -c URI 'A; B; …' runs them in order
steps=(
  "define $work/demo.xml"
  "list --all"
  "start demo"
  "list"
  "suspend demo"
  "domstate demo --reason"
  "resume demo"
  "dominfo demo"
  "dumpxml demo"
  "destroy demo"
  "undefine demo"
  "list --all"
  "vol-create-as vw-pool demo.qcow2 1M --format qcow2"
  "vol-list vw-pool"
  "vol-delete demo.qcow2 --pool vw-pool"
  "net-list --all"
  "net-destroy vw-net"
  "net-start vw-net"
  "net-info vw-net"
)
line=""
for s in "${steps[@]}"; do
  line+="echo '\$ rvirsh $s'; $s; "
done
out=$("$RVIRSH" -c "$URI" "$line")
echo "$out"
# the workflow's checkpoints
grep -q "Domain 'demo' defined" <<<"$out"
grep -q "Domain 'demo' started" <<<"$out"
grep -q "Domain 'demo' suspended" <<<"$out"
grep -q "paused (user)" <<<"$out"
grep -q "Domain 'demo' resumed" <<<"$out"
grep -q "<name>demo</name>" <<<"$out"
grep -q "Domain 'demo' destroyed" <<<"$out"
grep -q "Domain 'demo' has been undefined" <<<"$out"
grep -q "Vol demo.qcow2 created" <<<"$out"
grep -q "/vwpool/demo.qcow2" <<<"$out"
grep -q "Vol demo.qcow2 deleted" <<<"$out"
grep -q "Network vw-net destroyed" <<<"$out"
grep -q "Network vw-net started" <<<"$out"
echo "rvirsh-demo: the seed's workflow passed"
