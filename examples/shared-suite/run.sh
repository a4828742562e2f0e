#!/usr/bin/env bash
# Runs the example suite under cargo test, then under cargo nextest run (when installed), and
# checks each time that its six tests in two test binaries used one Redis: the engine created
# one container for the suite's project, and nothing is left once the linger is over.
# Usage: examples/shared-suite/run.sh   (from anywhere; needs Docker and the fixture images)
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
# The keeper of the shared stack is the dockhand binary; build it from this checkout.
cargo build --locked --quiet --manifest-path "$root/Cargo.toml" --bin dockhand
target_dir=$(cd "$root" && cargo metadata --format-version 1 --no-deps \
  | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
export DOCKHAND_BIN="$target_dir/debug/dockhand"
export CARGO_TARGET_DIR="$target_dir"  # shares the compiled dependencies

leftover() {
  docker ps -aq --filter label=io.dockhand.managed=true \
    --filter label=com.docker.compose.service=cache | while read -r id; do
    docker inspect -f '{{index .Config.Labels "com.docker.compose.project"}}' "$id"
  done | grep -c '^shared-suite-' || true
}

# Counts the suite's container creates from a live stream of the engine's events (a query of
# past events reads from a buffer of the last 256 and can miss some on a busy engine).
watch_start() {
  events=$(mktemp)
  docker events --filter type=container --filter event=create \
    --format '{{index .Actor.Attributes "com.docker.compose.project"}}' >"$events" &
  watcher=$!
  sleep 0.5
}

check() { # $1: the runner's name
  local created waited=0
  sleep 0.5
  kill "$watcher"; wait "$watcher" 2>/dev/null || true
  created=$(grep -c '^shared-suite-' "$events" || true)
  rm -f "$events"
  echo "$1: $created container(s) created for the suite"
  [ "$created" -eq 1 ] || { echo "$1: expected one shared Redis" >&2; exit 1; }
  while [ "$(leftover)" -gt 0 ]; do
    waited=$((waited + 1))
    [ "$waited" -le 30 ] || { echo "$1: the stack is still up 15 s after the suite" >&2; exit 1; }
    sleep 0.5
  done
  echo "$1: removed after the linger"
}

[ "$(leftover)" -eq 0 ] || { echo "a shared-suite stack is already up; wait for it to go" >&2; exit 1; }
watch_start
cargo test --quiet
check "cargo test"
if cargo nextest --version >/dev/null 2>&1; then
  watch_start
  cargo nextest run
  check "cargo nextest run"
fi
