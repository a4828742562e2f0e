#!/usr/bin/env bash
# A 20-test `cargo nextest run` suite against Redis (bench/suite20), three ways, interleaved:
#   shared          one stack for every test, every process: dockhand's `shared()`
#   stack           a dockhand `Stack` per test (`up()`, then `down()`)
#   testcontainers  a testcontainers-rs container per test (healthcheck wait, then `rm()`)
# For each: the suite's time as nextest reports it (each test in its own process, in parallel)
# and the containers the engine created for it. The shared stack is removed by its keeper
# after the linger, outside the suite's time; each round waits until the engine is clean.
# Usage: bench/suite20.sh [ROUNDS]   (default 3). Needs Docker, the fixture images and
# cargo-nextest; fetches testcontainers from crates.io the first time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
rounds=${1:-3}
target_dir=$(cd "$root" && cargo metadata --format-version 1 --no-deps \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
export CARGO_TARGET_DIR="$target_dir"  # shares the compiled dependencies
cargo build --quiet --manifest-path "$root/Cargo.toml" --bin dockhand
export DOCKHAND_BIN="$target_dir/debug/dockhand"
cd "$here/suite20"
cargo nextest run --no-run >/dev/null 2>&1 || cargo nextest run --no-run

leftover() {
  docker ps -aq --filter label=com.docker.compose.service=cache \
    --filter label=com.docker.compose.project | while read -r id; do
    docker inspect -f '{{index .Config.Labels "com.docker.compose.project"}}' "$id"
  done | grep -c '^suite20-' || true
  docker ps -aq --filter label=com.docker.compose.project=suite20-testcontainers | wc -l
}
wait_clean() {
  for _ in $(seq 60); do
    [ "$(leftover | awk '{s+=$1} END {print s+0}')" = 0 ] && return
    sleep 0.5
  done
  echo "the engine still holds suite20 containers" >&2; exit 1
}

declare -A walls created
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$rounds"); do
  for mode in shared stack testcontainers; do
    wait_clean
    # A live stream of the engine's create events (a query of past events reads from a
    # buffer of the last 256 and would miss some).
    events=$(mktemp)
    docker events --filter type=container --filter event=create \
      --format '{{index .Actor.Attributes "com.docker.compose.project"}}' >"$events" &
    watcher=$!
    sleep 0.5
    out=$(SUITE_MODE=$mode cargo nextest run --no-fail-fast 2>&1) \
      || { echo "round $r, $mode: the suite failed" >&2; echo "$out" >&2; exit 1; }
    sleep 0.5
    kill "$watcher"; wait "$watcher" 2>/dev/null || true
    n=$(grep -c '^suite20-' "$events" || true)
    rm -f "$events"
    # nextest's own time for the 20 test processes, without cargo's build check.
    took=$(sed -n 's/.*Summary \[ *\([0-9.]*\)s\].*/\1/p' <<<"$out")
    echo "round $r: $mode $took s, $n containers created"
    walls[$mode]+="$took "
    created[$mode]=$n
  done
done
wait_clean
median() { printf '%s\n' $1 | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
shared=$(median "${walls[shared]}")
echo
echo "| way | suite time (median) | containers created | ratio to shared |"
echo "|---|---:|---:|---:|"
for mode in shared stack testcontainers; do
  m=$(median "${walls[$mode]}")
  echo "| $mode | $m s | ${created[$mode]} | $(awk -v a="$m" -v b="$shared" 'BEGIN {printf "%.2f", a / b}') |"
done
