#!/usr/bin/env bash
# Idle TLS connections and TLS handshakes, tether serve against the Kestrel TLS peer (README.md).
# usage: side-by-side.sh CERT KEY [CONNECTIONS=5000] [ROUNDS=3] [SERVERS="tether-tls kestrel-tls tether kestrel"]
# Env: PROCS (load processes, 4), SETTLE (s, 20), BURST (handshakes per server, 2000), BURST_CONCURRENCY (per process, 8).
set -euo pipefail
cert=$1 key=$2 n=${3:-5000} rounds=${4:-3} servers=${5:-"tether-tls kestrel-tls tether kestrel"}
procs=${PROCS:-4} settle=${SETTLE:-20} burst=${BURST:-2000} burst_concurrency=${BURST_CONCURRENCY:-8}
root=$(cd "$(dirname "$0")/../.." && pwd)
tether=$root/src/Tether.Cli/bin/Release/net10.0/Tether.Cli.dll
kestrel=$root/bench/Peers/KestrelEcho/bin/Release/net10.0/KestrelEcho.dll
kestrel_tls=$root/bench/Peers/KestrelTlsEcho/bin/Release/net10.0/KestrelTlsEcho.dll
load=$root/bench/Tether.TlsLoad/bin/Release/net10.0/Tether.TlsLoad.dll
for f in "$tether" "$kestrel" "$kestrel_tls" "$load"; do [ -f "$f" ] || { echo "missing build: $f" >&2; exit 2; }; done
work=$(mktemp -d)
server_pid=
load_pids=()
cleanup() {
  for p in "${load_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
fds() { ls "/proc/$1/fd" | wc -l; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

start_server() { # name -> server_pid, port
  rm -f "$work/port"
  case $1 in
    tether-tls) dotnet "$tether" serve --listen 127.0.0.1:0 --port-file "$work/port" --tls-cert "$cert" --tls-key "$key" --log-level warning >"$work/server.log" 2>&1 & ;;
    tether) dotnet "$tether" serve --listen 127.0.0.1:0 --port-file "$work/port" --log-level warning >"$work/server.log" 2>&1 & ;;
    kestrel-tls) dotnet "$kestrel_tls" --port 0 --port-file "$work/port" --tls-cert "$cert" --tls-key "$key" >"$work/server.log" 2>&1 & ;;
    kestrel) dotnet "$kestrel" --port 0 --port-file "$work/port" >"$work/server.log" 2>&1 & ;;
  esac
  server_pid=$!
  for _ in $(seq 60); do [ -s "$work/port" ] && break; sleep 0.5; done
  port=$(head -1 "$work/port")
}

for round in $(seq "$rounds"); do
  for server in $servers; do
    case $server in tether*) protocol=tether ;; *) protocol=raw ;; esac
    case $server in *-tls) plain= ;; *) plain=--plain ;; esac
    start_server "$server"
    sleep 5
    rss0=$(rss_kb "$server_pid") fd0=$(fds "$server_pid")
    load_pids=()
    for i in $(seq "$procs"); do
      mkfifo "$work/in$i"
      # Each load process holds its share until its stdin (the FIFO) ends, at most 600 s.
      dotnet "$load" idle --target "127.0.0.1:$port" --protocol "$protocol" $plain --source "127.0.0.$((i + 1))" \
        --connections $((n / procs)) --hold 600 <"$work/in$i" >"$work/idle$i.out" 2>&1 &
      load_pids+=($!)
      exec {fd}>"$work/in$i"; eval "hold$i=$fd"
    done
    for i in $(seq "$procs"); do
      for _ in $(seq 600); do grep -q '"ready"' "$work/idle$i.out" 2>/dev/null && break; sleep 0.5; done
    done
    held=$(cat "$work"/idle*.out | sed -n 's/.*"ready","connected":\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s}')
    sleep "$settle"
    rss1=$(rss_kb "$server_pid") fd1=$(fds "$server_pid")
    for i in $(seq "$procs"); do eval "exec {hold$i}>&-"; done
    wait "${load_pids[@]}" || true
    dropped=$(cat "$work"/idle*.out | sed -n 's/.*"dropped":\([0-9]*\).*/\1/p' | awk '{s += $1} END {print s}')
    rm -f "$work"/in* "$work"/idle*.out
    load_pids=()
    sleep 2
    # A burst of full handshakes (no resumption), each followed by one round trip and a close, from $procs processes.
    cpu0=$(cpu_ticks "$server_pid")
    for i in $(seq "$procs"); do
      dotnet "$load" handshakes --target "127.0.0.1:$port" --protocol "$protocol" $plain --source "127.0.0.$((i + 1))" \
        --count $((burst / procs)) --concurrency "$burst_concurrency" >"$work/hs$i.out" 2>&1 &
      load_pids+=($!)
    done
    wait "${load_pids[@]}" || true
    load_pids=()
    cpu1=$(cpu_ticks "$server_pid")
    hs=$(cat "$work"/hs*.out | python3 -c '
import json, sys
r = [json.loads(l) for l in sys.stdin if l.startswith("{")]
done = sum(x["completed"] for x in r); failed = sum(x["failed"] for x in r)
wall = (max(x["endUnixMs"] for x in r) - min(x["startUnixMs"] for x in r)) / 1000
print(f"handshakes={done} hs_failed={failed} hs_wall_s={wall:.2f} hs_per_s={done / wall:.0f}", end=" ")
print(f"server_cpu_ms_per_hs={('$cpu1' and (int('$cpu1') - int('$cpu0')) * 10 / max(done, 1)):.2f}")')
    rm -f "$work"/hs*.out
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=
    echo "round=$round server=$server connections=$n held=$held dropped=$dropped rss_before_kb=$rss0 rss_after_kb=$rss1" \
      "bytes_per_conn=$(( (rss1 - rss0) * 1024 / (held > 0 ? held : 1) )) fd_before=$fd0 fd_after=$fd1" \
      "fds_per_conn=$(awk "BEGIN {printf \"%.3f\", ($fd1 - $fd0) / ($held > 0 ? $held : 1)}") $hs"
  done
done
