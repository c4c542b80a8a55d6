#!/usr/bin/env bash
# scripts/flake-check.sh N [--load] — does the test suite ever fail by chance?
#
# Builds the test binaries once (cargo test --workspace --all-targets --all-features --no-run),
# hard-links a snapshot of them (a later build cannot change what is being checked), starts
# the sandboxed libvirtd (scripts/sandbox.sh; stopped again at the end if this script started
# it) and runs every test binary N times in a row, the way cargo test runs them (one binary
# after the other, each binary's tests in parallel threads, from its package's folder).
# With --load, CPU hogs (twice as many as there are CPUs) run beside it the whole time.
#
# Prints, per test that failed at least once, how many runs it failed in, and exits 1 if any
# did. Every run's output is kept under $VIRTWIRE_SANDBOX/flake-check/<start time>/.
# Doc tests are left out (rustdoc compiles them at run time). Needs root, like scripts/test.sh.
set -euo pipefail

usage() {
  echo "usage: $0 N [--load]" >&2
  exit 2
}
[ $# -ge 1 ] && [[ $1 =~ ^[1-9][0-9]*$ ]] || usage
RUNS=$1
LOAD=0
shift
for arg in "$@"; do
  case $arg in
    --load) LOAD=1 ;;
    *) usage ;;
  esac
done

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
command -v python3 >/dev/null || {
  echo "flake-check: python3 is needed" >&2
  exit 1
}
bash scripts/install-deps.sh

export VIRTWIRE_SANDBOX=${VIRTWIRE_SANDBOX:-${TMPDIR:-/tmp}/virtwire-sandbox}
OUT=$VIRTWIRE_SANDBOX/flake-check/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT/bin"

# ---- build once, keep a snapshot: lines "BINARY<TAB>PACKAGE FOLDER"
cargo test --workspace --all-targets --all-features --no-run --message-format=json 2>"$OUT/build.log" |
  python3 -c '
import json, os, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("profile", {}).get("test") and m.get("executable"):
        print(m["executable"] + "\t" + os.path.dirname(m["manifest_path"]))
' >"$OUT/binaries.raw" || {
  tail -n 30 "$OUT/build.log" >&2
  echo "flake-check: the build failed (see $OUT/build.log)" >&2
  exit 1
}
: >"$OUT/binaries"
while IFS=$'\t' read -r exe dir; do
  snap=$OUT/bin/$(basename "$exe")
  ln "$exe" "$snap" 2>/dev/null || cp "$exe" "$snap"
  printf '%s\t%s\n' "$snap" "$dir" >>"$OUT/binaries"
done <"$OUT/binaries.raw"
echo "flake-check: $(wc -l <"$OUT/binaries") test binaries, $RUNS runs$([ $LOAD = 1 ] && echo ', with CPU load'); logs in $OUT"

# ---- sandbox and load; both ended on exit
STARTED=0
HOGS=()
# shellcheck disable=SC2317 # invoked by the EXIT trap
cleanup() {
  local status=$?
  trap - EXIT
  local pid
  for pid in "${HOGS[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ $STARTED = 1 ]; then
    bash scripts/sandbox.sh stop "$VIRTWIRE_SANDBOX" >&2 || echo "flake-check: stopping the sandbox failed" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ! bash scripts/sandbox.sh env "$VIRTWIRE_SANDBOX" >/dev/null 2>&1; then
  STARTED=1
  bash scripts/sandbox.sh start "$VIRTWIRE_SANDBOX"
fi
# shellcheck disable=SC1090 # DIR/env, written by sandbox.sh start
source "$(bash scripts/sandbox.sh env "$VIRTWIRE_SANDBOX")"
export VIRTWIRE_CONFORMANCE_REPORT=$OUT/conformance-report.txt

if [ $LOAD = 1 ]; then
  for ((i = 0; i < 2 * $(nproc); i++)); do
    sh -c 'while :; do :; done' &
    HOGS+=($!)
  done
fi

# ---- the runs
for ((run = 1; run <= RUNS; run++)); do
  log=$OUT/run-$run.log
  : >"$log"
  t0=$SECONDS
  while IFS=$'\t' read -r exe dir; do
    name=$(basename "$exe")
    echo "=== $name" >>"$log"
    if ! (cd "$dir" && "$exe") </dev/null >>"$log" 2>&1; then
      # a binary that failed without naming a failed test (crash, abort, hang killed)
      grep -q "^test .* \.\.\. FAILED$" <(sed -n "/^=== $name\$/,\$p" "$log") ||
        echo "test <$name: the binary failed> ... FAILED" >>"$log"
    fi
  done <"$OUT/binaries"
  failed=$(grep -c " \.\.\. FAILED$" "$log" || true)
  echo "flake-check: run $run/$RUNS: $failed failed test(s) in $((SECONDS - t0)) s"
done

# ---- per-test counts
echo "== failures per test ($RUNS runs$([ $LOAD = 1 ] && echo ', with CPU load'))"
counts=$(cat "$OUT"/run-*.log | sed -n 's/^test \(.*\) \.\.\. FAILED$/\1/p' | sort | uniq -c | sort -rn)
if [ -z "$counts" ]; then
  echo "none"
  exit 0
fi
echo "$counts"
exit 1
