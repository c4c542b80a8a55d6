#!/usr/bin/env bash
# scripts/test.sh [CARGO TEST ARGS...] — the way to run virtwire's tests.
#
# Installs missing Debian packages (scripts/install-deps.sh), starts the
# sandboxed libvirtd (scripts/sandbox.sh), runs
#   cargo test --workspace --all-targets --all-features [ARGS...]
# with the sandbox's VIRTWIRE_* environment (without ARGS, then the documentation's
# examples, the whole suite again with the default features and scripts/examples.sh), and
# always stops the sandbox afterwards. Exits with cargo's status. Needs root.
# The sandbox directory is $VIRTWIRE_SANDBOX (default ${TMPDIR:-/tmp}/virtwire-sandbox).
# Beside it runs a newer libvirtd (scripts/newer-libvirtd.sh, 11.3 from bookworm-backports,
# ~25 s to download and start the first time, under 1 s after) for tests/newer_daemon.rs;
# VIRTWIRE_NEWER=0 leaves it out (those tests then say they are skipped).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

bash scripts/install-deps.sh

export VIRTWIRE_SANDBOX=${VIRTWIRE_SANDBOX:-${TMPDIR:-/tmp}/virtwire-sandbox}
export VIRTWIRE_NEWER_DIR=${VIRTWIRE_NEWER_DIR:-$VIRTWIRE_SANDBOX/newer}

# shellcheck disable=SC2317 # invoked by the EXIT trap
stop_sandbox() {
  local status=$?
  trap - EXIT
  if [ "${VIRTWIRE_NEWER:-1}" != 0 ]; then
    bash scripts/newer-libvirtd.sh stop "$VIRTWIRE_NEWER_DIR" >&2 || echo "test.sh: stopping the newer libvirtd failed" >&2
  fi
  bash scripts/sandbox.sh stop "$VIRTWIRE_SANDBOX" >&2 || echo "test.sh: stopping the sandbox failed" >&2
  exit "$status"
}
# armed before start, so that a half-started sandbox is cleaned up too
trap stop_sandbox EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash scripts/sandbox.sh start "$VIRTWIRE_SANDBOX"
# shellcheck disable=SC1090 # DIR/env, written by sandbox.sh start
source "$(bash scripts/sandbox.sh env "$VIRTWIRE_SANDBOX")"
if [ "${VIRTWIRE_NEWER:-1}" != 0 ]; then
  bash scripts/newer-libvirtd.sh start "$VIRTWIRE_NEWER_DIR"
  # shellcheck disable=SC1090 # DIR/env, written by newer-libvirtd.sh start
  source "$(bash scripts/newer-libvirtd.sh env "$VIRTWIRE_NEWER_DIR")"
fi

# >>> conformance & wire check (tests/conformance*.rs, scripts/wire-check.py) >>>
# tests/conformance_wire.rs captures the conformance traffic on lo with tshark and checks it
# with Wireshark's libvirt dissector: fail here, clearly, when that cannot work. The
# conformance tests append their counts to VIRTWIRE_CONFORMANCE_REPORT, shown after the run
# (cargo hides the output of passing tests).
command -v python3 >/dev/null || {
  echo "test.sh: python3 is needed for scripts/wire-check.py" >&2
  exit 1
}
python3 scripts/wire-check.py --preflight
export VIRTWIRE_CONFORMANCE_REPORT=$VIRTWIRE_SANDBOX/conformance-report.txt
rm -f "$VIRTWIRE_CONFORMANCE_REPORT"
# <<< conformance & wire check <<<

status=0
# --all-features: the optional transports (feature libssh2) are tested too
cargo test --workspace --all-targets --all-features "$@" || status=$?
# the examples in the documentation (--all-targets leaves doc tests out)
if [ "$status" = 0 ] && [ $# = 0 ]; then
  cargo test --workspace --doc --all-features || status=$?
fi
# the default features too: what a user gets without asking for the optional transports
# (and the tests that only make sense without them)
if [ "$status" = 0 ] && [ $# = 0 ]; then
  cargo test --workspace --all-targets || status=$?
fi

# the seed's workflow with the static rvirsh, while the sandbox runs (.ci/run builds it and
# sets RVIRSH_STATIC)
if [ "$status" = 0 ] && [ -n "${RVIRSH_STATIC:-}" ]; then
  bash scripts/rvirsh-demo.sh "$RVIRSH_STATIC" || status=$?
fi

# the examples against the same sandbox (README.md's among them, and the seed's workflow)
if [ "$status" = 0 ] && [ $# = 0 ]; then
  bash scripts/examples.sh || status=$?
fi

# >>> conformance & wire check: report >>>
if [ -s "$VIRTWIRE_CONFORMANCE_REPORT" ]; then
  echo "== conformance (tests/conformance*.rs)"
  cat "$VIRTWIRE_CONFORMANCE_REPORT"
fi
rm -f "$VIRTWIRE_CONFORMANCE_REPORT"
# <<< conformance & wire check: report <<<
exit "$status"
