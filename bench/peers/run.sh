#!/usr/bin/env bash
# dockhand's library against testcontainers-rs: a Redis up, PING, down, interleaved in one run.
# Usage: bench/peers/run.sh [ROUNDS]   (default 10). Needs a Docker daemon; pulls nothing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/peers}

docker image inspect dockhand-fixture/redis:1 >/dev/null 2>&1 || "$root/fixtures/images/build.sh"
cargo build --release --locked -q --manifest-path "$here/Cargo.toml"

echo "machine: $(nproc) cores, $(uname -r), Docker $(docker version -f '{{.Server.Version}}'), load $(cut -d' ' -f1-3 /proc/loadavg)"
since=$(date +%s)
cd "$root"
"$CARGO_TARGET_DIR/release/dockhand-bench-peers" "$@"

# Neither side may have gone to a registry: the engine logs every pull as an image event.
until=$(date +%s)
pulls=$(docker events --since "$since" --until "$until" --filter type=image --filter event=pull \
  --format '{{.Actor.ID}}')
if [ -n "$pulls" ]; then
  echo "FAIL: images were pulled during the run: $pulls" >&2
  exit 1
fi
echo "no image pulls during the run"
