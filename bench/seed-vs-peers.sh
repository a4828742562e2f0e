#!/usr/bin/env bash
# The seed workflow (the app image's build cached; PostgreSQL, Redis and Memcached up and ready;
# the test suite in the app image; everything removed) done four ways, interleaved in one run:
#   dockhand     dockhand test on compose/seed/compose.yml
#   hand         the same with the docker CLI by hand, as a careful person would script it:
#                network create, parallel run -d, readiness polled with docker exec every 50 ms,
#                run --rm, rm -f, network rm
#   compose-v2   docker compose (v2) run --rm app, then down -v
#   compose-v1   docker-compose 1.29 run --rm app, then down -v
# Each way's wall time, CPU time (user + system, its own process and its children: not the
# engine's) and peak RSS of its biggest process come from /usr/bin/time.
# Usage: bench/seed-vs-peers.sh [ROUNDS]   (default 5). Prints each round and the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time: apt-get install time" >&2; exit 1; }
cargo build --release --locked -q
bin=target/release/dockhand
tag=bench
env_args=(-e ENVIRONMENT=testing -e API_KEY=12345)

# Warm-up: builds (and caches) the app image so every way starts from the same state.
$bin test -f compose/seed/compose.yml --service app --tag $tag "${env_args[@]}" \
  -- /opt/awesome_app/test.sh >/dev/null 2>&1
# docker-compose v1 predates the top-level `name:`; it gets a copy without it.
v1file=compose/seed/.compose-v1.yml
sed '/^name:/d' compose/seed/compose.yml >"$v1file"
trap 'rm -f "$v1file"' EXIT
ways="dockhand hand"
if docker compose version >/dev/null 2>&1; then
  ways="$ways compose-v2"
  DOCKHAND_TAG=$tag docker compose -f compose/seed/compose.yml build -q >/dev/null 2>&1 || true
fi
if command -v docker-compose >/dev/null 2>&1; then
  ways="$ways compose-v1"
  docker-compose -f "$v1file" build -q >/dev/null 2>&1 || true
fi

run_dockhand() {
  $bin test -f compose/seed/compose.yml --service app --tag $tag "${env_args[@]}" \
    -- /opt/awesome_app/test.sh >/dev/null 2>&1
}

run_hand() {
  bash -c '
    set -e
    p=benchhand$$
    docker network create "$p" >/dev/null
    docker run -d --name "$p-db" --network "$p" --network-alias db -e POSTGRES_DB=awesome dockhand-fixture/postgres:1 >/dev/null &
    docker run -d --name "$p-cache" --network "$p" --network-alias cache dockhand-fixture/redis:1 >/dev/null &
    docker run -d --name "$p-memcache" --network "$p" --network-alias memcache dockhand-fixture/memcached:1 >/dev/null &
    wait
    until docker exec "$p-db" pg_isready -q -h 127.0.0.1 -U postgres -d awesome; do sleep 0.05; done &
    until docker exec "$p-cache" redis-cli ping 2>/dev/null | grep -q PONG; do sleep 0.05; done &
    until docker exec "$p-memcache" sh -c "printf \"version\r\nquit\r\n\" | nc -q1 127.0.0.1 11211" 2>/dev/null | grep -q VERSION; do sleep 0.05; done &
    wait
    ok=0
    docker run --rm --network "$p" -e ENVIRONMENT=testing -e API_KEY=12345 -e DB_HOST=db -e DB_NAME=awesome \
      -e REDIS_HOST=cache -e MEMCACHED_HOST=memcache "awesome-app:'$tag'" /opt/awesome_app/test.sh | tail -1 \
      | grep -q "Result: SUCCESS!" && ok=1
    docker rm -f "$p-db" "$p-cache" "$p-memcache" >/dev/null
    docker network rm "$p" >/dev/null
    [ $ok = 1 ]
  '
}

run_compose-v2() {
  local p="benchcv2$$"
  DOCKHAND_TAG=$tag docker compose -p "$p" -f compose/seed/compose.yml run --rm \
    "${env_args[@]}" app /opt/awesome_app/test.sh >/dev/null 2>&1
  docker compose -p "$p" -f compose/seed/compose.yml down -v >/dev/null 2>&1
}

run_compose-v1() {
  local p="benchcv1$$"
  docker-compose -p "$p" -f "$v1file" run --rm "${env_args[@]}" app /opt/awesome_app/test.sh >/dev/null 2>&1
  docker-compose -p "$p" -f "$v1file" down -v >/dev/null 2>&1
}
export -f run_dockhand run_hand run_compose-v2 run_compose-v1
export bin tag v1file
export env_args_s="${env_args[*]}"

declare -A wall cpu rss
stats=$(mktemp)
for r in $(seq 1 "$rounds"); do
  for w in $ways; do
    # Runs the way under /usr/bin/time: %e wall, %U+%S CPU, %M peak RSS (KiB).
    /usr/bin/time -o "$stats" -f '%e %U %S %M' bash -c "env_args=($env_args_s); run_$w"
    read -r e u s m <"$stats"
    c=$(echo "$u + $s" | bc)
    wall[$w]="${wall[$w]:-} $e"; cpu[$w]="${cpu[$w]:-} $c"; rss[$w]="${rss[$w]:-} $m"
    printf 'round %d %-10s wall %6.2fs  cpu %5.2fs  peak rss %6.1f MiB\n' "$r" "$w" "$e" "$c" "$(echo "$m / 1024" | bc -l)"
  done
done
rm -f "$stats"
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
dw=$(echo "${wall[dockhand]}" | median); dc=$(echo "${cpu[dockhand]}" | median)
echo "medians over $rounds rounds (ratio: dockhand / that way):"
printf '  %-10s %8s %8s %10s %12s %12s\n' way wall cpu "rss MiB" "wall ratio" "cpu ratio"
for w in $ways; do
  mw=$(echo "${wall[$w]}" | median); mc=$(echo "${cpu[$w]}" | median); mr=$(echo "${rss[$w]}" | median)
  printf '  %-10s %7.2fs %7.2fs %10.1f %12.2f %12.2f\n' "$w" "$mw" "$mc" "$(echo "$mr / 1024" | bc -l)" \
    "$(echo "$dw / $mw" | bc -l)" "$(echo "$dc / $mc" | bc -l)"
done
