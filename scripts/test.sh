#!/usr/bin/env bash
# scripts/test.sh [CARGO TEST ARGS...] — the way to run virtwire's tests.
#
# Installs missing Debian packages (scripts/install-deps.sh), starts the
# sandboxed libvirtd (scripts/sandbox.sh), runs
#   cargo test --workspace --all-targets [ARGS...]
# with the sandbox's VIRTWIRE_* environment, and always stops the sandbox
# afterwards. Exits with cargo's status. Needs root.
# The sandbox directory is $VIRTWIRE_SANDBOX (default ${TMPDIR:-/tmp}/virtwire-sandbox).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

bash scripts/install-deps.sh

export VIRTWIRE_SANDBOX=${VIRTWIRE_SANDBOX:-${TMPDIR:-/tmp}/virtwire-sandbox}

# shellcheck disable=SC2317 # invoked by the EXIT trap
stop_sandbox() {
  local status=$?
  trap - EXIT
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

status=0
cargo test --workspace --all-targets "$@" || status=$?
exit "$status"
