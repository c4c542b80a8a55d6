#!/usr/bin/env bash
# scripts/fuzz.sh [SECONDS] [TARGET...] — runs virtwire's fuzz targets (fuzz/), each for
# SECONDS (default 25), starting from the seeds in fuzz/seeds/TARGET and the dictionary
# fuzz/dict/TARGET.dict when there is one. A crash, a leak, an input that runs over
# 10 s, or a process above 2 GiB of memory (-rss_limit_mb: proof that no input makes the
# client allocate without bound) fails the script; libFuzzer leaves the input in
# fuzz/artifacts/TARGET/ (replay: cargo fuzz run TARGET FILE). Prints executions per target.
#
# Installs cargo-fuzz from crates.io when missing. cargo-fuzz needs a nightly compiler:
# RUSTC_BOOTSTRAP=1 lets the stable one take the nightly flags. No sanitizer (-s none):
# the crate has no unsafe code of its own to check, and the build stays cheap for CI.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

SECS=${1:-25}
shift || true
if ! [[ $SECS =~ ^[0-9]+$ ]]; then
  echo "usage: $0 [SECONDS] [TARGET...]" >&2
  exit 2
fi
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

targets=("$@")
if [ ${#targets[@]} = 0 ]; then
  mapfile -t targets < <(cd fuzz && cargo fuzz list)
fi
cd fuzz
cargo fuzz build -s none
status=0
for t in "${targets[@]}"; do
  corpus=corpus/$t
  mkdir -p "$corpus" "artifacts/$t"
  [ -d "seeds/$t" ] && cp -n seeds/"$t"/* "$corpus"/ 2>/dev/null || true
  dict=()
  [ -f "dict/$t.dict" ] && dict=("-dict=dict/$t.dict")
  log=artifacts/$t/last-run.log
  if cargo fuzz run -s none "$t" "$corpus" -- -max_total_time="$SECS" -rss_limit_mb=2048 \
    -timeout=10 -max_len=65536 -print_final_stats=1 "${dict[@]}" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n1)
    echo "fuzz: $t: ${runs:-?} executions in ${SECS}s, no crash"
  else
    status=1
    echo "fuzz: $t: FAILED (see fuzz/$log)" >&2
    tail -n 40 "$log" >&2
  fi
done
exit "$status"
