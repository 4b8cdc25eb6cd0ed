#!/usr/bin/env bash
# The compose files tested on a real Docker engine: build the image, run the 3-node cluster, write and read through
# every node with rkvctl, kill a node and watch it catch up, pause the leader and watch another take over, grow the
# cluster to 5 members (docker-compose.grow.yml) and replace a killed member by a new one at a new address
# (docker-compose.replace.yml), all under a small write load that must lose and fail nothing, run the 3-node file again with the TLS override (make-test-certs.sh's certificates; set/get over mTLS), then the 5-node file. Runnable alone from anywhere:  deploy/test-compose.sh   (needs root to start an engine).
# Uses its own project names and ports (27001.., 27011..) so a developer's cluster on 7001.. is left alone; the
# fixed container names (rkv-n1.., rkv5-n1..) must be free. A failure prints every container's log.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

say() { echo "[compose-test $(date +%T)] $*"; }
fail() { echo "[compose-test] FAILED: $*" >&2; exit 1; }

p3=rkvtest3
p5=rkvtest5
p3tls=rkvtest3tls
export RKV_N1_PORT=27001 RKV_N2_PORT=27002 RKV_N3_PORT=27003
export RKV_N1_ADMIN_PORT=27201 RKV_N2_ADMIN_PORT=27202 RKV_N3_ADMIN_PORT=27203
export RKV_N4_PORT=27004 RKV_N5_PORT=27005 RKV_N6_PORT=27006 RKV_N4_ADMIN_PORT=27204 RKV_N5_ADMIN_PORT=27205 RKV_N6_ADMIN_PORT=27206
export RKV5_N1_PORT=27011 RKV5_N2_PORT=27012 RKV5_N3_PORT=27013 RKV5_N4_PORT=27014 RKV5_N5_PORT=27015
export RKV5_N1_ADMIN_PORT=27211 RKV5_N2_ADMIN_PORT=27212 RKV5_N3_ADMIN_PORT=27213 RKV5_N4_ADMIN_PORT=27214 RKV5_N5_ADMIN_PORT=27215
export RKV_IMAGE=replicatedkv:local
# The compose files require a peer secret; a fresh one per run, as an operator would make one.
export RKV_PEER_SECRET=${RKV_PEER_SECRET:-$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')}
endpoints3=http://127.0.0.1:27001,http://127.0.0.1:27002,http://127.0.0.1:27003
endpoints5=http://127.0.0.1:27011,http://127.0.0.1:27012,http://127.0.0.1:27013,http://127.0.0.1:27014,http://127.0.0.1:27015

# --- the engine: start one if none runs (and stop it again at the end) ---
docker_up=${RKV_DOCKER_UP:-$root/../shared/tools/docker-up.sh}
started_engine=
if ! docker info >/dev/null 2>&1; then
  [ -x "$docker_up" ] || fail "no Docker engine runs and $docker_up (which starts one) is missing; set RKV_DOCKER_UP"
  say "starting a Docker engine with $docker_up"
  "$docker_up"
  started_engine=yes
elif ! docker image inspect mcr.microsoft.com/dotnet/sdk:10.0 mcr.microsoft.com/dotnet/aspnet:10.0 >/dev/null 2>&1; then
  # No registry is reachable here: docker-up.sh builds the base images under their official names.
  [ -x "$docker_up" ] || fail "the .NET base images are missing and $docker_up (which builds them) is missing"
  "$docker_up"
fi

# Compose v1 (Debian's docker-compose) where it is installed, else the v2 plugin: the files suit both.
if command -v docker-compose >/dev/null; then compose=(docker-compose); else compose=(docker compose); fi
compose3() { "${compose[@]}" -p "$p3" -f deploy/docker-compose.yml "$@"; }
compose5() { "${compose[@]}" -p "$p5" -f deploy/docker-compose.5.yml "$@"; }
# The 3-node file with the members added at run time (n4, n5 to grow, n6 to replace n3): 'up' names its services.
compose3all() { "${compose[@]}" -p "$p3" -f deploy/docker-compose.yml -f deploy/docker-compose.grow.yml -f deploy/docker-compose.replace.yml "$@"; }
compose3tls() { "${compose[@]}" -p "$p3tls" -f deploy/docker-compose.yml -f deploy/docker-compose.tls.yml "$@"; }
# 'up' is idempotent; the engine now and then fails to start one container of a fresh project (seen once, not
# reproduced), so a second 'up' starts what the first left behind, as an operator would.
up() { # compose function
  "$1" up -d --no-build || { say "'up' failed; once more"; sleep 2; "$1" up -d --no-build; }
}

work=$(mktemp -d)
finish() {
  local status=$?
  set +e
  if [ "$status" -ne 0 ]; then
    for c in $(docker ps -a --filter "label=com.docker.compose.project=$p3" --filter "label=com.docker.compose.project=$p5" --filter "label=com.docker.compose.project=$p3tls" --format '{{.Names}}'); do
      echo "===== docker logs $c (last 200 lines) ====="
      docker logs --tail 200 "$c" 2>&1
    done
    docker ps -a --format 'table {{.Names}}\t{{.Status}}' 2>&1
  fi
  compose3all down -v --remove-orphans >/dev/null 2>&1
  compose5 down -v --remove-orphans >/dev/null 2>&1
  compose3tls down -v --remove-orphans >/dev/null 2>&1
  rm -rf "$work"
  if [ -n "$started_engine" ] && [ -f /tmp/dockerd.pid ]; then
    pid=$(cat /tmp/dockerd.pid)
    say "stopping the Docker engine (pid $pid)"
    kill "$pid" 2>/dev/null
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    rm -f /tmp/dockerd.pid
  fi
  [ "$status" -eq 0 ] && say "PASSED" || echo "[compose-test] FAILED (exit $status)" >&2
  exit "$status"
}
trap finish EXIT

for name in rkv-n1 rkv-n2 rkv-n3 rkv-n4 rkv-n5 rkv-n6 rkv5-n1 rkv5-n2 rkv5-n3 rkv5-n4 rkv5-n5; do
  if docker inspect "$name" >/dev/null 2>&1 && ! docker inspect -f '{{index .Config.Labels "com.docker.compose.project"}}' "$name" | grep -qE "^($p3|$p5|$p3tls)$"; then
    fail "a container named $name already exists (another cluster from these files?); stop it first"
  fi
done
compose3all down -v --remove-orphans >/dev/null 2>&1 || true
compose5 down -v --remove-orphans >/dev/null 2>&1 || true
compose3tls down -v --remove-orphans >/dev/null 2>&1 || true

# --- rkvctl on the host, as an operator would run it ---
say "building rkvctl"
dotnet publish src/ReplicatedKv.Cli/ReplicatedKv.Cli.csproj -c Release -o "$work/rkvctl" -v quiet -nologo >/dev/null
rkvctl() { "$work/rkvctl/rkvctl" "$@"; }

say "building the image (deploy/Dockerfile)"
docker build -q -f deploy/Dockerfile -t "$RKV_IMAGE" . >/dev/null

# Compose v1 has no 'up --wait': poll the engine's own health state, as an operator's script would.
wait_healthy() { # project, count, seconds
  local project=$1 want=$2 limit=$3 have=0
  for _ in $(seq "$limit"); do
    have=$(docker ps --filter "label=com.docker.compose.project=$project" --filter health=healthy -q | wc -l)
    [ "$have" -ge "$want" ] && return 0
    sleep 1
  done
  fail "$have of $want containers of $project healthy after ${limit}s"
}

leader_of() { # endpoint -> the leader id that node reports
  rkvctl --endpoints "$1" --timeout 3s -o json status | tr -d ' \n' | grep -o '"leader_id":"[^"]*"' | head -1 | cut -d'"' -f4
}

expect_value() { # endpoint, key, value, consistency flag...
  local endpoint=$1 key=$2 want=$3; shift 3
  local got
  got=$(rkvctl --endpoints "$endpoint" --timeout 5s get "$@" "$key") || fail "get $key through $endpoint failed"
  [ "$got" = "$want" ] || fail "get $key through $endpoint: '$got', expected '$want'"
}

# Retries a serializable read until the node has applied the value: how catch-up shows from outside.
wait_value() { # endpoint, key, value, seconds
  local endpoint=$1 key=$2 want=$3 limit=$4 got=
  for _ in $(seq "$limit"); do
    got=$(rkvctl --endpoints "$endpoint" --timeout 2s get --serializable "$key" 2>/dev/null) && [ "$got" = "$want" ] && return 0
    sleep 1
  done
  fail "$endpoint never served $key=$want (last: '$got')"
}

# --- 3 nodes ---
say "3-node cluster: up"
up compose3
wait_healthy "$p3" 3 120
say "all 3 healthy"

for i in 1 2 3; do
  rkvctl --endpoints "http://127.0.0.1:2700$i" set "key-$i" "value-$i" >/dev/null || fail "set through node $i"
done
for i in 1 2 3; do
  for j in 1 2 3; do expect_value "http://127.0.0.1:2700$i" "key-$j" "value-$j"; done
done
say "set through each node, read back through each node"
for i in 1 2 3; do
  metrics=$(curl -sf "http://127.0.0.1:2720$i/metrics") || fail "GET /metrics on node $i's admin port failed"
  grep -qE '^rkv_applied_commands_total(\{[^}]*\})? [1-9]' <<<"$metrics" || fail "node $i's /metrics shows no applied commands"
done
say "every node's /metrics (published admin port) counts applied commands"

leader=$(leader_of http://127.0.0.1:27001)
[ -n "$leader" ] || fail "no leader reported"
victim=n3; [ "$leader" = n3 ] && victim=n2
say "leader is $leader; docker kill rkv-$victim"
docker kill "rkv-$victim" >/dev/null
for i in $(seq 1 20); do
  rkvctl --endpoints "$endpoints3" --timeout 10s set "while-down-$i" "v$i" >/dev/null || fail "write $i with $victim down"
done
expect_value "$endpoints3" while-down-20 v20
say "20 writes succeeded with $victim down; docker start rkv-$victim"
docker start "rkv-$victim" >/dev/null
victim_port=2700${victim#n}
wait_value "http://127.0.0.1:$victim_port" while-down-20 v20 90
wait_healthy "$p3" 3 90
say "$victim caught up (serves while-down-20 from its own table)"

leader=$(leader_of http://127.0.0.1:27001)
[ -n "$leader" ] || fail "no leader reported"
other=n1; [ "$leader" = n1 ] && other=n2
say "docker pause rkv-$leader (the leader)"
docker pause "rkv-$leader" >/dev/null
new_leader=
for _ in $(seq 60); do
  new_leader=$(leader_of "http://127.0.0.1:2700${other#n}" 2>/dev/null || true)
  [ -n "$new_leader" ] && [ "$new_leader" != "$leader" ] && break
  sleep 1
done
[ -n "$new_leader" ] && [ "$new_leader" != "$leader" ] || fail "no new leader while $leader was paused"
rkvctl --endpoints "http://127.0.0.1:2700${other#n}" --timeout 10s set after-failover yes >/dev/null || fail "write after failover"
say "$new_leader took over; a write went through"
docker unpause "rkv-$leader" >/dev/null
wait_value "http://127.0.0.1:2700${leader#n}" after-failover yes 60
wait_healthy "$p3" 3 60
say "$leader unpaused and caught up"

# --- membership: grow 3 -> 5, then replace a lost member, under a write load ---
# One writer, one key per write, each through any of the given members: a failed write fails the test at the end,
# and every acknowledged one must read back.
start_load() { # endpoints
  : >"$work/load.acked"; : >"$work/load.failed"; rm -f "$work/load.stop"
  (
    i=0
    while [ ! -e "$work/load.stop" ]; do
      i=$((i + 1))
      if rkvctl --endpoints "$1" --timeout 10s set "load-$i" "v$i" >/dev/null 2>>"$work/load.errors"; then
        echo "load-$i	v$i" >>"$work/load.acked"
      else
        echo "load-$i" >>"$work/load.failed"
      fi
    done
  ) &
  load_pid=$!
}
stop_load_and_check() { # endpoints
  touch "$work/load.stop"
  wait "$load_pid"
  [ ! -s "$work/load.failed" ] || fail "$(wc -l <"$work/load.failed") writes failed under membership changes: $(tail -3 "$work/load.errors" 2>/dev/null)"
  rkvctl --endpoints "$1" --timeout 10s list load- | sort >"$work/load.read" || fail "listing the load's keys"
  sort "$work/load.acked" | comm -23 - "$work/load.read" >"$work/load.lost"
  [ ! -s "$work/load.lost" ] || fail "$(wc -l <"$work/load.lost") acknowledged writes are missing, e.g. $(head -1 "$work/load.lost")"
  say "$(wc -l <"$work/load.acked") writes under load: none failed, every one reads back"
}
wait_voter() { # endpoints, id, seconds
  for _ in $(seq "$3"); do
    rkvctl --endpoints "$1" --timeout 3s -o json member list 2>/dev/null | tr -d ' \n' | grep -o "{\"id\":\"$2\"[^}]*}" | grep -q '"role":"voter"' && return 0
    sleep 1
  done
  fail "$2 is not a voter after ${3}s: $(rkvctl --endpoints "$1" member list 2>&1)"
}

say "grow 3 -> 5 under a write load (docker-compose.grow.yml)"
start_load "$endpoints3"
for i in 4 5; do
  rkvctl --endpoints "$endpoints3" member add "n$i" --peer-url "http://10.231.3.1$i:7101" --client-url "http://127.0.0.1:2700$i" >/dev/null || fail "member add n$i"
  compose3all up -d --no-build "n$i" >/dev/null 2>&1 || fail "up n$i"
  wait_voter "$endpoints3" "n$i" 120
  say "n$i added, caught up and promoted to voter"
done
wait_healthy "$p3" 5 90
stop_load_and_check "$endpoints3"

endpoints_grown=http://127.0.0.1:27001,http://127.0.0.1:27002,http://127.0.0.1:27004,http://127.0.0.1:27005
say "docker kill rkv-n3 (a lost machine), then member replace n3 n6 at a new address (docker-compose.replace.yml)"
start_load "$endpoints_grown"
docker kill rkv-n3 >/dev/null
rkvctl --endpoints "$endpoints_grown" member replace n3 n6 --peer-url http://10.231.3.16:7101 --client-url http://127.0.0.1:27006 >/dev/null || fail "member replace n3 n6"
compose3all rm -sf n3 >/dev/null 2>&1
compose3all up -d --no-build n6 >/dev/null 2>&1 || fail "up n6"
wait_voter "$endpoints_grown" n6 120
stop_load_and_check "$endpoints_grown,http://127.0.0.1:27006"
members=$(rkvctl --endpoints "$endpoints_grown" -o json member list | tr -d ' \n' | grep -o '"id":"n[0-9]"' | cut -d'"' -f4 | tr '\n' ' ')
[ "$members" = "n1 n2 n4 n5 n6 " ] || fail "members after the replacement: '$members', expected n1 n2 n4 n5 n6"
wait_value http://127.0.0.1:27006 key-1 value-1 60
say "n3 replaced by n6 (voter, serves the data written before it joined); members: $members"

compose3all down -v >/dev/null 2>&1
say "3-node cluster down"

# --- 3 nodes with TLS: client certificates required, peers over mutual TLS ---
say "3-node TLS cluster: test certificates, up"
deploy/make-test-certs.sh "$work/certs" >/dev/null
export RKV_CERTS="$work/certs"
up compose3tls
wait_healthy "$p3tls" 3 120
tls=(--cacert "$work/certs/ca.pem" --cert "$work/certs/client.pem" --key "$work/certs/client-key.pem")
tls_endpoints=https://127.0.0.1:27001,https://127.0.0.1:27002,https://127.0.0.1:27003
rkvctl --endpoints "$tls_endpoints" "${tls[@]}" set over-tls yes >/dev/null || fail "set over mTLS"
for i in 1 2 3; do
  got=$(rkvctl --endpoints "https://127.0.0.1:2700$i" "${tls[@]}" get over-tls) || fail "get over mTLS through node $i"
  [ "$got" = yes ] || fail "get over-tls through node $i: '$got'"
done
if rkvctl --endpoints http://127.0.0.1:27001 --timeout 5s get over-tls >"$work/plain.out" 2>&1; then fail "a plaintext get reached a TLS port"; fi
grep -q "TLS mismatch" "$work/plain.out" || fail "plaintext against TLS: $(cat "$work/plain.out")"
if rkvctl --endpoints https://127.0.0.1:27001 --cacert "$work/certs/ca.pem" --timeout 5s get over-tls >"$work/nocert.out" 2>&1; then fail "a get without a client certificate succeeded"; fi
grep -q "Unauthenticated" "$work/nocert.out" || fail "no client certificate: $(cat "$work/nocert.out")"
say "set/get over mTLS through each node; plaintext and certificate-less calls refused clearly"
compose3tls down -v >/dev/null 2>&1
unset RKV_CERTS
say "3-node TLS cluster down"

# --- 5 nodes ---
say "5-node cluster: up"
up compose5
wait_healthy "$p5" 5 150
rkvctl --endpoints "$endpoints5" set five hello >/dev/null || fail "write to the 5-node cluster"
for i in 1 2 3 4 5; do expect_value "http://127.0.0.1:2701$i" five hello; done
rkvctl --endpoints "$endpoints5" health --cluster >/dev/null || fail "5-node health --cluster"
say "5 healthy, a write read back through each node"
compose5 down -v >/dev/null 2>&1
