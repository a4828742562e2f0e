#!/usr/bin/env bash
# Wall time of the seed workflow (build cached, bring up PostgreSQL + Redis + Memcached, wait
# until healthy, run the test suite, tear down) done three ways, interleaved in one run:
#   dockhand        dockhand test on compose/seed/compose.yml
#   docker-cli      the same by hand: network create, run -d, poll health, run, rm
#   docker-compose  docker-compose (v1, Debian's) run --rm app, then down -v (if installed)
# Usage: bench/seed-vs-peers.sh [ROUNDS]   (default 5). Prints per-round times and medians.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
cargo build --release --locked -q
bin=target/release/dockhand
tag=bench

# Warm-up: builds (and caches) the app image so every way starts from the same state.
$bin test -f compose/seed/compose.yml --service app --tag $tag -e ENVIRONMENT=testing -e API_KEY=12345 \
  -- /opt/awesome_app/test.sh >/dev/null 2>&1
# docker-compose v1 predates the top-level `name:`; it gets a copy without it.
v1file=compose/seed/.compose-v1.yml
if command -v docker-compose >/dev/null 2>&1; then
  sed '/^name:/d' compose/seed/compose.yml >"$v1file"
  trap 'rm -f "$v1file"' EXIT
  docker-compose -f "$v1file" build -q >/dev/null 2>&1
fi

now() { date +%s.%N; }

run_dockhand() {
  $bin test -f compose/seed/compose.yml --service app --tag $tag -e ENVIRONMENT=testing -e API_KEY=12345 \
    -- /opt/awesome_app/test.sh >/dev/null 2>&1
}

run_cli() {
  local p="benchcli$$" ok=0
  docker network create "$p" >/dev/null
  docker run -d --name "$p-db" --network "$p" --network-alias db -e POSTGRES_DB=awesome dockhand-fixture/postgres:1 >/dev/null
  docker run -d --name "$p-cache" --network "$p" --network-alias cache dockhand-fixture/redis:1 >/dev/null
  docker run -d --name "$p-memcache" --network "$p" --network-alias memcache dockhand-fixture/memcached:1 >/dev/null
  for c in db cache memcache; do
    until [ "$(docker inspect -f '{{.State.Health.Status}}' "$p-$c")" = healthy ]; do sleep 0.5; done
  done
  docker run --rm --network "$p" -e ENVIRONMENT=testing -e API_KEY=12345 -e DB_HOST=db -e DB_NAME=awesome \
    -e REDIS_HOST=cache -e MEMCACHED_HOST=memcache "awesome-app:$tag" /opt/awesome_app/test.sh | tail -1 \
    | grep -q 'Result: SUCCESS!' && ok=1
  docker rm -f "$p-db" "$p-cache" "$p-memcache" >/dev/null
  docker network rm "$p" >/dev/null
  [ $ok = 1 ]
}

run_compose() {
  local p="benchcompose$$"
  docker-compose -p "$p" -f "$v1file" run --rm \
    -e ENVIRONMENT=testing -e API_KEY=12345 app /opt/awesome_app/test.sh >/dev/null 2>&1
  docker-compose -p "$p" -f "$v1file" down -v >/dev/null 2>&1
}

ways="dockhand cli"
command -v docker-compose >/dev/null 2>&1 && ways="$ways compose"
declare -A times
for r in $(seq 1 "$rounds"); do
  for w in $ways; do
    t0=$(now)
    "run_$w"
    t1=$(now)
    t=$(echo "$t1 - $t0" | bc)
    times[$w]="${times[$w]:-} $t"
    printf 'round %d %-8s %6.2fs\n' "$r" "$w" "$t"
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
d=$(echo "${times[dockhand]}" | median)
echo "median over $rounds rounds:"
for w in $ways; do
  m=$(echo "${times[$w]}" | median)
  printf '  %-8s %6.2fs  (%.2fx dockhand)\n' "$w" "$m" "$(echo "$m / $d" | bc -l)"
done
