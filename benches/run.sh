#!/usr/bin/env bash
# benches/run.sh [ROUNDS] — virtwire side by side with libvirt's C client (libvirt.so).
#
#   BENCH_SCALE=0.25 bash benches/run.sh 5
#
# Starts a sandboxed libvirtd (scripts/sandbox.sh, in $VIRTWIRE_SANDBOX, default
# ${TMPDIR:-/tmp}/virtwire-bench; stopped at the end if this script started it), builds
# benches/ (release) and the C baseline (benches/baseline/bench.c, gcc + pkg-config libvirt:
# Debian's libvirt-dev), then runs every workload ROUNDS times (default 5), alternating the
# clients: libvirt.so, virtwire on a current-thread runtime, virtwire on a multi-thread
# runtime (as #[tokio::main] builds it). Each round also counts, with `perf stat`, the
# syscalls and CPU time per call of the sequential and 64-task workloads (the figures from a
# run of N calls minus those of a run of none). Prints the table of medians
# (benches/report.py); the raw lines stay in $BENCH_OUT (default: DIR/bench-results.jsonl).
#
# BENCH_SCALE multiplies the number of calls (20000 per workload at 1; list-all, stats-all and
# the connect-* workloads make 1/100 of that). BENCH_VOL_MIB (default 1024) is the size of the
# volume that download and upload move whole, through the qemu driver's dir pool
# DIR/bench-pool (made here; the volume is a raw file, its data written once). Without perf
# (or where tracepoints are not allowed) the counted rows are left out. With BENCH_RVIRSH
# set to an rvirsh binary, `rvirsh list --all` is timed next to `virsh list --all`.
set -euo pipefail

ROUNDS=${1:-5}
SCALE=${BENCH_SCALE:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=${VIRTWIRE_SANDBOX:-${TMPDIR:-/tmp}/virtwire-bench}
export VIRTWIRE_SANDBOX=$DIR
OUT=${BENCH_OUT:-$DIR/bench-results.jsonl}
N=$(awk -v s="$SCALE" 'BEGIN { n = int(20000 * s); print (n < 100 ? 100 : n) }')
LIST_COUNT=2000
VOL_MIB=${BENCH_VOL_MIB:-1024}

say() { echo "bench: $*" >&2; }

if ! pkg-config --exists libvirt; then
  say "the C baseline needs libvirt's headers: apt-get install libvirt-dev pkg-config gcc"
  exit 1
fi

started=
if ! bash "$ROOT/scripts/sandbox.sh" env "$DIR" >/dev/null 2>&1; then
  bash "$ROOT/scripts/sandbox.sh" start "$DIR" >&2
  started=1
fi
cleanup() { [ -z "$started" ] || bash "$ROOT/scripts/sandbox.sh" stop "$DIR" >&2 || true; }
trap cleanup EXIT
# shellcheck disable=SC1091
. "$DIR/env"

say "building"
(cd "$ROOT" && cargo build --release --quiet -p virtwire-bench -p rvirsh)
RUST=$ROOT/target/release/virtwire-bench
C=$DIR/libvirt-bench
gcc -O2 -Wall -o "$C" "$ROOT/benches/baseline/bench.c" \
  $(pkg-config --cflags --libs libvirt) -lpthread

NODE=$DIR/bench-node-$LIST_COUNT.xml
python3 "$ROOT/benches/nodegen.py" "$LIST_COUNT" "$NODE"
URI="test+unix:///default?socket=$VIRTWIRE_SOCKET"
LIST_URI="test+unix://$NODE?socket=$VIRTWIRE_SOCKET"
TCP_URI="test+tcp://127.0.0.1:$VIRTWIRE_TCP_PORT/default"
TLS_URI="test+tls://127.0.0.1:$VIRTWIRE_TLS_PORT/default?pkipath=$VIRTWIRE_PKI"
VOL_URI="qemu+unix:///system?socket=$VIRTWIRE_SOCKET"
POOL=virtwire-bench
VOL=bench-$VOL_MIB.raw

# the dir pool and the volume of the transfer workloads (kept between runs)
pool_setup() {
  local v=(virsh -q -c "$VOL_URI")
  if ! "${v[@]}" pool-info "$POOL" >/dev/null 2>&1; then
    "${v[@]}" pool-define-as "$POOL" dir --target "$DIR/bench-pool" >/dev/null
    "${v[@]}" pool-build "$POOL" >/dev/null
  fi
  "${v[@]}" pool-start "$POOL" >/dev/null 2>&1 || true
  if ! "${v[@]}" vol-info --pool "$POOL" "$VOL" >/dev/null 2>&1; then
    say "writing the ${VOL_MIB} MiB volume"
    "${v[@]}" vol-create-as "$POOL" "$VOL" "${VOL_MIB}M" --format raw >/dev/null
    dd if=/dev/urandom of="$DIR/bench-pool/$VOL" bs=1M count="$VOL_MIB" conv=notrunc status=none
  fi
}
pool_setup

# client NAME: the command line of one client
client() {
  case $1 in
    libvirt.so) echo "$C" ;;
    virtwire-ct) echo "$RUST --runtime current" ;;
    virtwire-mt) echo "$RUST --runtime multi" ;;
  esac
}

# the command line of one client with every URI
client_cmd() {
  echo "$(client "$1") --uri $URI --list-uri $LIST_URI --list-count $LIST_COUNT \
    --vol-uri $VOL_URI --pool $POOL --vol $VOL --vol-mib $VOL_MIB --tcp-uri $TCP_URI --tls-uri $TLS_URI"
}

# perf_counts CMD...: "SYSCALLS TASK_CLOCK_MS" of one run, or nothing without perf
perf_counts() {
  local f
  f=$(mktemp)
  if perf stat -x, -o "$f" -e raw_syscalls:sys_enter,task-clock -- "$@" >/dev/null 2>&1; then
    awk -F, '/raw_syscalls/ { s = $1 } /task-clock/ { t = $1 } END { if (s != "" && t != "") print s, t }' "$f"
  fi
  rm -f "$f"
}

# counts NAME WORKLOAD: one JSON line of syscalls and CPU per call, from perf
counts() {
  local name=$1 w=$2 cmd full empty
  # shellcheck disable=SC2207
  cmd=($(client_cmd "$name") --only "$w")
  full=$(perf_counts "${cmd[@]}" --n "$N")
  empty=$(perf_counts "${cmd[@]}" --n 0)
  [ -n "$full" ] && [ -n "$empty" ] || return 0
  awk -v c="$name" -v w="$w" -v n="$N" -v f="$full" -v e="$empty" 'BEGIN {
    split(f, a, " "); split(e, b, " ")
    printf "{\"kind\":\"counts\",\"client\":\"%s\",\"workload\":\"%s\",\"syscalls_per_op\":%.3f,\"task_clock_us_per_op\":%.3f}\n",
      c, w, (a[1] - b[1]) / n, (a[2] - b[2]) * 1000 / n }'
}

CLIENTS=(libvirt.so virtwire-ct virtwire-mt)
: >"$OUT"
for ((r = 0; r < ROUNDS; r++)); do
  say "round $((r + 1))/$ROUNDS"
  for ((i = 0; i < ${#CLIENTS[@]}; i++)); do
    # a different client goes first each round
    name=${CLIENTS[$(((i + r) % ${#CLIENTS[@]}))]}
    # shellcheck disable=SC2046
    $(client_cmd "$name") --n "$N" >>"$OUT"
    if command -v perf >/dev/null; then
      counts "$name" seq-libversion >>"$OUT"
      counts "$name" tasks-64 >>"$OUT"
    fi
  done
done

# rvirsh next to virsh, once rvirsh is built: wall, CPU and peak RSS of one `list --all`
RVIRSH=${BENCH_RVIRSH:-$ROOT/target/release/rvirsh}
if [ -x "$RVIRSH" ]; then
  for ((r = 0; r < ROUNDS; r++)); do
    python3 "$ROOT/benches/clitime.py" libvirt.so cli-list virsh -c "$LIST_URI" list --all >>"$OUT"
    python3 "$ROOT/benches/clitime.py" virtwire-ct cli-list "$RVIRSH" -c "$LIST_URI" list --all >>"$OUT"
  done
fi

echo "Command: BENCH_SCALE=$SCALE bash benches/run.sh $ROUNDS ($N calls per workload)"
echo
python3 "$ROOT/benches/report.py" "$OUT"
