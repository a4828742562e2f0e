#!/usr/bin/env bash
# The seed workflow (the app image's build cached; PostgreSQL, Redis and Memcached up and ready;
# the test suite in the app image; everything removed) against the same engine four ways,
# interleaved in one run, to measure what dockhand's remote path costs:
#   socket   dockhand test on the local socket
#   tls      the same through a TLS endpoint on 127.0.0.1 (socat terminating TLS, client
#            certificates made here), told --engine-is-remote: secrets copied in, ports
#            published and probed on the engine's host, every API call a TLS connection
#   tls-local  the same TLS endpoint told --engine-is-local: the transport's cost alone, without
#            the remote path
#   ssh      the same over ssh to an sshd started here on 127.0.0.1, `docker system dial-stdio`
#            behind it (remote by its address)
# The engine, the images and the machine are the same for all, so the differences are
# the transport and the remote path, not a network.
# Usage: bench/remote.sh [ROUNDS]   (default 5). One run of each way per round, in turn; with
# hyperfine when it is installed, else /usr/bin/time. Prints each round and the medians.
# Needs root, socat, openssl and openssh-server (scripts/setup installs them).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-5}
for tool in socat openssl ssh-keygen /usr/sbin/sshd python3; do
  command -v "$tool" >/dev/null || { echo "needs $tool: run scripts/setup" >&2; exit 1; }
done
cargo build --release --locked -q
bin=$PWD/target/release/dockhand
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() {
  for _ in $(seq 1 150); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on $1: $(cat "$2")" >&2
  exit 1
}

# The TLS endpoint: a CA, the engine's certificate for 127.0.0.1, a client certificate.
(
  cd "$work"
  mkdir client
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=bench CA" -keyout ca.key -out ca.pem 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout server.key -out server.csr 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
  openssl x509 -req -days 2 -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -extfile server.ext -out server.pem 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=client" -keyout client/key.pem -out client.csr 2>/dev/null
  printf 'extendedKeyUsage=clientAuth\n' >client.ext
  openssl x509 -req -days 2 -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -extfile client.ext -out client/cert.pem 2>/dev/null
  cp ca.pem client/ca.pem
  # socat's forked children share one OpenSSL context: no session resumption across them.
  printf 'openssl_conf = conf\n[conf]\nssl_conf = ssl\n[ssl]\nsystem_default = tls\n[tls]\nOptions = -SessionTicket\nNumTickets = 0\n' >openssl.cnf
)
tls_port=$(free_port)
OPENSSL_CONF=$work/openssl.cnf socat \
  "OPENSSL-LISTEN:$tls_port,bind=127.0.0.1,reuseaddr,fork,cert=$work/server.pem,key=$work/server.key,cafile=$work/ca.pem,verify=1" \
  UNIX-CONNECT:/var/run/docker.sock 2>"$work/socat.log" &
pids+=($!)
wait_port "$tls_port" "$work/socat.log"

# The sshd: its own host key, one authorised key, root by key only.
ssh_port=$(free_port)
ssh-keygen -q -t ed25519 -N '' -f "$work/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$work/id"
cp "$work/id.pub" "$work/authorized_keys"
cat >"$work/sshd_config" <<EOF
Port $ssh_port
ListenAddress 127.0.0.1
HostKey $work/host_key
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PidFile none
EOF
printf 'Host *\n  IdentityFile %s\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n' "$work/id" >"$work/ssh_config"
mkdir -p /run/sshd
/usr/sbin/sshd -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
pids+=($!)
wait_port "$ssh_port" "$work/sshd.log"

seed="test -f compose/seed/compose.yml --service app --tag bench -e ENVIRONMENT=testing -e API_KEY=12345 -- /opt/awesome_app/test.sh"
clean_env="env -u DOCKER_HOST -u DOCKER_CONTEXT -u DOCKER_TLS_VERIFY -u DOCKER_CERT_PATH CI=true"
declare -A cmd
cmd[socket]="$clean_env $bin $seed"
cmd[tls]="$clean_env DOCKER_HOST=tcp://127.0.0.1:$tls_port DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$work/client $bin --engine-is-remote $seed"
cmd[tls-local]="$clean_env DOCKER_HOST=tcp://127.0.0.1:$tls_port DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=$work/client $bin --engine-is-local $seed"
cmd[ssh]="$clean_env DOCKER_HOST=ssh://root@127.0.0.1:$ssh_port DOCKHAND_SSH_COMMAND='ssh -F $work/ssh_config' $bin $seed"
ways="socket tls-local tls ssh"

# Warm-up: builds (and caches) the app image, and checks that each way passes.
for w in $ways; do
  bash -c "${cmd[$w]}" >"$work/warmup-$w.log" 2>&1 || { echo "$w failed:" >&2; tail -20 "$work/warmup-$w.log" >&2; exit 1; }
done

declare -A wall
if command -v hyperfine >/dev/null; then
  echo "timing with $(hyperfine --version)"
  for r in $(seq 1 "$rounds"); do
    args=()
    for w in $ways; do args+=(-n "$w" "${cmd[$w]} >/dev/null 2>&1"); done
    hyperfine --runs 1 --style none --export-json "$work/round.json" "${args[@]}" >/dev/null
    while read -r w e; do
      wall[$w]="${wall[$w]:-} $e"
      printf 'round %d %-9s wall %6.2fs\n' "$r" "$w" "$e"
    done < <(python3 -c 'import json,sys; [print(x["command"], x["mean"]) for x in json.load(open(sys.argv[1]))["results"]]' "$work/round.json")
  done
else
  [ -x /usr/bin/time ] || { echo "needs hyperfine or /usr/bin/time: apt-get install hyperfine" >&2; exit 1; }
  echo "timing with /usr/bin/time"
  for r in $(seq 1 "$rounds"); do
    for w in $ways; do
      /usr/bin/time -o "$work/time" -f '%e' bash -c "${cmd[$w]} >/dev/null 2>&1"
      e=$(cat "$work/time")
      wall[$w]="${wall[$w]:-} $e"
      printf 'round %d %-9s wall %6.2fs\n' "$r" "$w" "$e"
    done
  done
fi

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
base=$(echo "${wall[socket]}" | median)
echo "medians over $rounds rounds (overhead: that way minus the socket):"
printf '  %-9s %8s %10s %8s\n' way wall overhead ratio
for w in $ways; do
  m=$(echo "${wall[$w]}" | median)
  printf '  %-9s %7.2fs %+9.2fs %8.2f\n' "$w" "$m" "$(echo "$m - $base" | bc -l)" "$(echo "$m / $base" | bc -l)"
done
