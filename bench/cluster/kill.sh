#!/usr/bin/env bash
# kill -9 of a node holding PER_NODE sessions while the pusher node streams numbered messages to STREAM_CLIENTS of
# them: the time from the kill until 50, 99 and 100 % of its clients have resumed their sessions on other nodes
# (their endpoint lists hold every node), sessions lost, and numbers lost, repeated or out of order (README.md).
# usage: kill.sh [NODES=5] [PER_NODE=19000] [STREAM_CLIENTS=1000] [RATE=2000]
# Env: OTHERS (clients on each other node; default such that a node still holds fewer than 19,000 after taking its
# share of the victim's, since each node process may open 20,000 files), KILL_AFTER (s, 10), SECONDS_TOTAL (stream
# length, s, 40: what is left after the kill is the time the clients get to resume).
set -euo pipefail
nodes=${1:-5} per_node=${2:-19000} stream_clients=${3:-1000} rate=${4:-2000}
[ "$nodes" -ge 2 ] || { echo "kill.sh needs at least 2 nodes" >&2; exit 2; }
share=$(( (per_node + nodes - 2) / (nodes - 1) ))
others=${OTHERS:-$(( per_node < 18750 - share ? per_node : 18750 - share ))}
kill_after=${KILL_AFTER:-10} seconds_total=${SECONDS_TOTAL:-40}
source "$(dirname "$0")/lib.sh"

start_redis
for i in $(seq "$nodes"); do start_node "$i"; done
start_clients 1 "$per_node"
for i in $(seq 2 "$nodes"); do start_clients "$i" "$others"; done
wait_clients_ready

# The pusher waits for the victim's clients in the directory, then streams to the first STREAM_CLIENTS of them.
dotnet "$bench" pusher stream --redis "127.0.0.1:$redis_port" --nodes 1 --per-node "$per_node" --home 1 \
  --clients "$stream_clients" --rate "$rate" --seconds "$seconds_total" </dev/null >"$work/pusher.out" 2>"$work/pusher.err" &
pusher_pid=$!
pids+=("$pusher_pid")
for _ in $(seq 1200); do
  grep -q '"event":"stream-started"' "$work/pusher.out" 2>/dev/null && break
  kill -0 "$pusher_pid" 2>/dev/null || { echo "pusher failed: $(tail -3 "$work/pusher.err")" >&2; exit 1; }
  sleep 0.1
done
sleep "$kill_after"
# The kill's moment on CLOCK_MONOTONIC, the clock of Stopwatch.GetTimestamp in the load processes.
kill_ns=$(python3 -c 'import os, signal, sys, time; t = time.monotonic_ns(); os.kill(int(sys.argv[1]), signal.SIGKILL); print(t)' "${node_pid[1]}")
wait "${node_pid[1]}" 2>/dev/null || true
wait "$pusher_pid" || { echo "pusher failed: $(tail -3 "$work/pusher.err")" >&2; exit 1; }
sleep 3 # the last numbers' way to the clients
stop_clients
python3 "$root/bench/cluster/summarize.py" kill "$work" nodes="$nodes" per_node="$per_node" others="$others" \
  victim=1 kill_ns="$kill_ns"
