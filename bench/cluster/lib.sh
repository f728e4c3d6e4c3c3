# Shared by the cluster benchmarks (sourced, not run): one redis-server, tether serve node processes, load processes of
# session clients (Tether.ClusterBench clients) and the pusher node (Tether.ClusterBench pusher). Everything started
# here is killed on exit.
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
tether=$root/src/Tether.Cli/bin/Release/net10.0/Tether.Cli.dll
bench=$root/bench/Tether.ClusterBench/bin/Release/net10.0/Tether.ClusterBench.dll
[ -f "$tether" ] || { echo "missing build: dotnet build -c Release src/Tether.Cli/Tether.Cli.csproj" >&2; exit 2; }
[ -f "$bench" ] || { echo "missing build: dotnet build -c Release bench/Tether.ClusterBench" >&2; exit 2; }
command -v redis-server >/dev/null || { echo "redis-server is not installed (apt-get install redis-server)" >&2; exit 2; }
work=$(mktemp -d)
pids=()
declare -A node_pid node_port clients_pid
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP_WORK:-}" ] && { echo "work files kept in $work" >&2; return; }
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
redis_info() { redis-cli -p "$redis_port" INFO "$1" | tr -d '\r' | awk -F: -v k="$2" '$1==k {print $2}'; }
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

start_redis() {
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize no --logfile "$work/redis.log" &
  pids+=($!)
  for _ in $(seq 50); do redis-cli -p "$redis_port" PING 2>/dev/null | grep -q PONG && return; sleep 0.1; done
  echo "redis-server did not start" >&2; exit 1
}

start_node() { # index -> node_pid[index], node_port[index]
  local i=$1
  dotnet "$tether" serve --listen 127.0.0.1:0 --port-file "$work/port$i" --log-level warning \
    --redis "127.0.0.1:$redis_port" --node-name "n$i" >"$work/node$i.log" 2>&1 &
  node_pid[$i]=$!
  pids+=("${node_pid[$i]}")
  for _ in $(seq 150); do [ -s "$work/port$i" ] && break; sleep 0.2; done
  [ -s "$work/port$i" ] || { echo "node n$i did not start: $(tail -3 "$work/node$i.log")" >&2; exit 1; }
  node_port[$i]=$(head -1 "$work/port$i")
}

node_list() { local out=() i; for i in $(seq "$nodes"); do out+=("127.0.0.1:${node_port[$i]}"); done; (IFS=,; echo "${out[*]}"); }

start_clients() { # home count -> clients_pid[home]; one process per node, source address 127.0.0.(home+1)
  local home=$1 count=$2
  dotnet "$bench" clients --nodes "$(node_list)" --home "$home" --count "$count" \
    --source "127.0.0.$(( (home - 1) % 8 + 2 ))" </dev/null >"$work/clients$home.out" 2>"$work/clients$home.err" &
  clients_pid[$home]=$!
  pids+=("${clients_pid[$home]}")
}

wait_clients_ready() { # every load process printed ready (or ended)
  local h
  for h in "${!clients_pid[@]}"; do
    for _ in $(seq 1200); do
      grep -q '"event":"ready"' "$work/clients$h.out" 2>/dev/null && break
      kill -0 "${clients_pid[$h]}" 2>/dev/null || { echo "load process c$h ended: $(tail -3 "$work/clients$h.err")" >&2; exit 1; }
      sleep 0.5
    done
    grep -q '"event":"ready"' "$work/clients$h.out" || { echo "load process c$h not ready after 10 min" >&2; exit 1; }
  done
}

stop_clients() { # SIGTERM: each prints its result, then exits
  local h
  for h in "${!clients_pid[@]}"; do kill -TERM "${clients_pid[$h]}" 2>/dev/null || true; done
  for h in "${!clients_pid[@]}"; do wait "${clients_pid[$h]}" 2>/dev/null || true; done
}

run_pusher() { # workload args... -> $work/pusher.out
  dotnet "$bench" pusher "$@" --redis "127.0.0.1:$redis_port" </dev/null >"$work/pusher.out" 2>"$work/pusher.err" || {
    echo "pusher failed: $(tail -3 "$work/pusher.err")" >&2; exit 1; }
}

# A cluster of $nodes nodes with $per_node clients each, all connected.
start_cluster() {
  start_redis
  local i
  for i in $(seq "$nodes"); do start_node "$i"; done
  for i in $(seq "$nodes"); do start_clients "$i" "$per_node"; done
  wait_clients_ready
}

# RSS of the nodes and the load processes once everything is connected: one line.
memory_line() {
  local i nodes_kib=0 clients_kib=0
  for i in $(seq "$nodes"); do nodes_kib=$((nodes_kib + $(rss_kib "${node_pid[$i]}"))); done
  for i in "${!clients_pid[@]}"; do clients_kib=$((clients_kib + $(rss_kib "${clients_pid[$i]}"))); done
  echo "memory: nodes_rss_mib=$((nodes_kib / 1024)) load_processes_rss_mib=$((clients_kib / 1024))" \
    "load_rss_per_client_bytes=$((clients_kib * 1024 / (nodes * per_node)))" \
    "redis_used_memory_mib=$(( $(redis_info memory used_memory) / 1048576 )) redis_keys=$(redis-cli -p "$redis_port" DBSIZE)"
}
