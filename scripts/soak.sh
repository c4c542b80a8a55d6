#!/usr/bin/env bash
# scripts/soak.sh [SECONDS] — the soak (tests/soak.rs, opt-in, not run by CI): SECONDS (default
# 600) of calls from 64 tasks on one connection plus a new connection every second, against
# a sandboxed libvirtd, printing the client's RSS and the calls' latency (p50/p99/max) every
# VIRTWIRE_SOAK_SAMPLE_SECS (default 10); fails if the RSS grows past warm-up.
#
# Uses the sandbox of the environment when one is running (VIRTWIRE_SOCKET set, as after
# `source "$(bash scripts/sandbox.sh env)"`), else starts one and stops it afterwards (needs
# root, like scripts/test.sh). Extra arguments go to cargo (e.g. --release).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SECS=${1:-600}
shift || true
if ! [[ $SECS =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [SECONDS] [CARGO ARGS...]" >&2
  exit 2
fi

if [ -z "${VIRTWIRE_SOCKET:-}" ] || ! [ -S "$VIRTWIRE_SOCKET" ]; then
  export VIRTWIRE_SANDBOX=${VIRTWIRE_SANDBOX:-${TMPDIR:-/tmp}/virtwire-sandbox}
  # shellcheck disable=SC2317 # invoked by the EXIT trap
  stop_sandbox() {
    local status=$?
    trap - EXIT
    bash scripts/sandbox.sh stop "$VIRTWIRE_SANDBOX" >&2 || true
    exit "$status"
  }
  trap stop_sandbox EXIT
  bash scripts/sandbox.sh start "$VIRTWIRE_SANDBOX"
  # shellcheck disable=SC1090 # DIR/env, written by sandbox.sh start
  source "$(bash scripts/sandbox.sh env "$VIRTWIRE_SANDBOX")"
fi

VIRTWIRE_SOAK_SECS=$SECS cargo test "$@" --test soak -- --ignored --nocapture
