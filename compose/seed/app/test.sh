#!/bin/bash
# The application's integration suite: one round trip to each service it depends on.
# Hosts come from the environment; it refuses to run outside ENVIRONMENT=testing.
set -u

fail() {
  echo "FAIL: $*"
  echo "Result: FAILURE!"
  exit 1
}

if [ "${ENVIRONMENT:-}" != "testing" ]; then
  echo "refusing to run: ENVIRONMENT must be 'testing', not '${ENVIRONMENT:-}'"
  echo "Result: FAILURE!"
  exit 1
fi
[ -n "${API_KEY:-}" ] || fail "API_KEY is not set"

echo "== PostgreSQL at ${DB_HOST}"
got=$(psql -h "$DB_HOST" -U postgres -d "$DB_NAME" -v ON_ERROR_STOP=1 -tA \
  -c "CREATE TABLE IF NOT EXISTS api_keys (k text)" \
  -c "INSERT INTO api_keys VALUES ('$API_KEY')" \
  -c "SELECT k FROM api_keys WHERE k = '$API_KEY'" 2>&1) || fail "psql: $got"
echo "$got" | grep -qx "$API_KEY" || fail "PostgreSQL returned '$got'"
echo "ok: SQL round trip"

echo "== Redis at ${REDIS_HOST}"
first=$(redis-cli -h "$REDIS_HOST" INCR visits) || fail "redis-cli INCR failed"
second=$(redis-cli -h "$REDIS_HOST" INCR visits) || fail "redis-cli INCR failed"
[ "$second" -eq $((first + 1)) ] || fail "INCR gave $first then $second"
echo "ok: INCR $first -> $second"

echo "== Memcached at ${MEMCACHED_HOST}"
reply=$(printf 'set greeting 0 60 5\r\nhello\r\nget greeting\r\nquit\r\n' | nc -w 5 "$MEMCACHED_HOST" 11211 | tr -d '\r')
echo "$reply" | grep -qx "STORED" || fail "memcached set: $reply"
echo "$reply" | grep -qx "hello" || fail "memcached get: $reply"
echo "ok: set then get"

echo "Result: SUCCESS!"
