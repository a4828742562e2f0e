#!/usr/bin/env bash
# Warm reuse: the seed workflow with `dockhand test --reuse`, run once to leave the stack up,
# then ROUNDS more times. For each round: the wall time of the whole run and the time of the
# test command itself (the `test` line of --timings: create, start and run the test
# container); the goal is wall <= test + 0.3 s. Removes the reused stack at the end.
# Usage: bench/reuse.sh [ROUNDS]   (default 5)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time: apt-get install time" >&2; exit 1; }
cargo build --release --locked -q
bin=target/release/dockhand
project=benchreuse
run() {
  /usr/bin/time -f "wall %e" $bin test -f compose/seed/compose.yml -p $project --service app \
    --tag bench --reuse --timings -e ENVIRONMENT=testing -e API_KEY=12345 \
    -- /opt/awesome_app/test.sh 2>&1
}
trap '$bin down --reused -p $project >/dev/null 2>&1 || true' EXIT
first=$(run)
echo "cold: $(grep '^wall' <<<"$first" | cut -d' ' -f2) s"
walls=() tests=()
for i in $(seq "$rounds"); do
  out=$(run)
  grep -q "PASS" <<<"$out" || { echo "round $i did not pass:" >&2; echo "$out" >&2; exit 1; }
  wall=$(grep '^wall' <<<"$out" | cut -d' ' -f2)
  test=$(grep -E '^ +test +[0-9.]+s' <<<"$out" | awk '{print $2}' | tr -d s)
  echo "round $i: wall $wall s, test command $test s, overhead $(awk -v a="$wall" -v b="$test" "BEGIN {print a - b}") s"
  walls+=("$wall") tests+=("$test")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mw=$(median "${walls[@]}") mt=$(median "${tests[@]}")
echo "median: wall $mw s, test command $mt s, overhead $(awk -v a="$mw" -v b="$mt" "BEGIN {print a - b}") s (goal <= 0.3 s)"
