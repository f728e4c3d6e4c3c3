#!/usr/bin/env bash
# Idle connections with sessions on a cluster of tether serve nodes sharing one Redis, beside a single node measured in
# the same run (bench/cluster/README.md).
# usage: idle.sh [NODES=5] [PER_NODE=19000] [MEASURE_S=60]
# Env: HEARTBEAT (s, 30), SETTLE (s, 10), SINGLE (1: also measure one node without Redis first; 0: skip), CONCURRENCY
# (handshakes in flight per cluster holder, 32: a new session waits for a Redis script with a 100 ms timeout, and five
# holders at 256 each queue enough of them to be refused with SERVER_BUSY, which idle_holder does not retry).
set -euo pipefail
nodes=${1:-5} per_node=${2:-19000} measure=${3:-60}
heartbeat=${HEARTBEAT:-30} settle=${SETTLE:-10} single=${SINGLE:-1} concurrency=${CONCURRENCY:-32}
root=$(cd "$(dirname "$0")/../.." && pwd)
tether=$root/src/Tether.Cli/bin/Release/net10.0/Tether.Cli.dll
holder=${IDLE_HOLDER:-/tmp/idle_holder}
[ -f "$tether" ] || { echo "missing build: dotnet build -c Release src/Tether.Cli/Tether.Cli.csproj" >&2; exit 2; }
[ -x "$holder" ] || gcc -O2 -Wall -Wextra -Werror -o "$holder" "$root/bench/floor/idle_holder.c"
command -v redis-server >/dev/null || { echo "redis-server is not installed (apt-get install redis-server)" >&2; exit 2; }
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
redis_info() { redis-cli -p "$redis_port" INFO "$1" | tr -d '\r' | awk -F: -v k="$2" '$1==k {print $2}'; }

start_node() { # index redis-args... -> node_pid[index], node_port[index]
  local i=$1; shift
  dotnet "$tether" serve --listen 127.0.0.1:0 --port-file "$work/port$i" --log-level warning "$@" >"$work/node$i.log" 2>&1 &
  node_pid[$i]=$!
  pids+=("${node_pid[$i]}")
  for _ in $(seq 100); do [ -s "$work/port$i" ] && break; sleep 0.2; done
  node_port[$i]=$(head -1 "$work/port$i")
}

hold() { # index connections sources [concurrency] -> writes $work/holder$i.out
  "$holder" --target "127.0.0.1:${node_port[$1]}" --pid "${node_pid[$1]}" --connections "$2" --protocol tether \
    --concurrency "${4:-256}" \
    --heartbeat "$heartbeat" --sources "$3" --settle "$settle" --measure "$measure" >"$work/holder$1.out" 2>"$work/holder$1.err"
}

declare -A node_pid node_port
if [ "$single" = 1 ]; then
  start_node 0
  sleep 3
  hold 0 "$per_node" 127.0.0.2-127.0.0.3
  echo "single node (no Redis): $(cat "$work/holder0.out")"
  kill "${node_pid[0]}"; wait "${node_pid[0]}" 2>/dev/null || true
fi

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --logfile "$work/redis.log" &
pids+=($!)
for _ in $(seq 50); do redis-cli -p "$redis_port" PING 2>/dev/null | grep -q PONG && break; sleep 0.1; done
for i in $(seq "$nodes"); do start_node "$i" --redis "127.0.0.1:$redis_port" --node-name "n$i"; done
sleep 3
memory0=$(redis_info memory used_memory)

holders=()
for i in $(seq "$nodes"); do
  # Two source addresses per node (each gives ~28,000 ephemeral ports towards one node's port).
  hold "$i" "$per_node" "127.0.0.$((2 * i)),127.0.0.$((2 * i + 1))" "$concurrency" &
  holders+=($!)
done

# Redis while everything is idle: wait until every node holds its connections, let the handshakes' writes finish,
# then count commands over the measurement window (the INFO calls themselves are subtracted).
want=$((nodes * per_node))
for _ in $(seq 600); do
  held=0
  for i in $(seq "$nodes"); do held=$((held + $(ls "/proc/${node_pid[$i]}/fd" | wc -l))); done
  [ "$held" -ge "$want" ] && break
  # A holder that gave up (refused connections) ends early: measure what is held rather than wait for it.
  alive=0
  for h in "${holders[@]}"; do kill -0 "$h" 2>/dev/null && alive=$((alive + 1)); done
  [ "$alive" -lt "${#holders[@]}" ] && break
  sleep 1
done
sleep "$settle"
commands0=$(redis_info stats total_commands_processed)
memory1=$(redis_info memory used_memory)
window=$((measure - settle - 5))
sleep "$window"
commands1=$(redis_info stats total_commands_processed)

for h in "${holders[@]}"; do wait "$h" || true; done
total_bytes=0
for i in $(seq "$nodes"); do
  echo "node n$i: $(cat "$work/holder$i.out")"
done
echo "redis: commands_per_s_idle=$(python3 -c "print(round(($commands1 - $commands0 - 2) / $window, 2))") window_s=$window" \
  "used_memory_before=$memory0 used_memory_after=$memory1" \
  "bytes_per_connection=$(( (memory1 - memory0) / want )) connections=$want keys=$(redis-cli -p "$redis_port" DBSIZE)"
