#!/usr/bin/env bash
# A 20-service stack (bench/stack20/compose.yml) brought up, ready and removed, interleaved in
# one run:
#   dockhand     dockhand up, then dockhand down -p NAME
#   compose-v2   docker compose up -d --wait, then down -v -t 0 (so neither waits out stop
#                timeouts)
# Usage: bench/stack20.sh [ROUNDS]   (default 5). Prints each round and the medians.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
cargo build --release --locked -q
bin=target/release/dockhand
file=bench/stack20/compose.yml
now() { date +%s.%N; }

run_dockhand() {
  local out project
  out=$($bin up -f $file 2>/dev/null)
  project=$(echo "$out" | sed -n 's/^project \(.*\) is up$/\1/p')
  $bin down -p "$project" >/dev/null 2>&1
}

run_compose() {
  local p="benchs20$$"
  docker compose -p "$p" -f $file up -d --wait >/dev/null 2>&1
  docker compose -p "$p" -f $file down -v -t 0 >/dev/null 2>&1
}

declare -A times
for r in $(seq 1 "$rounds"); do
  for w in dockhand compose; do
    t0=$(now); "run_$w"; t1=$(now)
    t=$(echo "$t1 - $t0" | bc)
    times[$w]="${times[$w]:-} $t"
    printf 'round %d %-8s %6.2fs\n' "$r" "$w" "$t"
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
d=$(echo "${times[dockhand]}" | median); c=$(echo "${times[compose]}" | median)
printf 'medians over %d rounds: dockhand %.2fs, compose v2 %.2fs, ratio %.2f\n' "$rounds" "$d" "$c" "$(echo "$d / $c" | bc -l)"
