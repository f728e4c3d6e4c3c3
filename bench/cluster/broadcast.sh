#!/usr/bin/env bash
# One broadcast to every client of the cluster: the pusher node (no clients of its own) calls BroadcastAsync once;
# each client stamps its copy's arrival with the monotonic clock shared by every process on the machine; the figure is
# the time until the last of NODES x PER_NODE clients has it (README.md).
# usage: broadcast.sh [NODES=5] [PER_NODE=19000]
set -euo pipefail
nodes=${1:-5} per_node=${2:-19000}
source "$(dirname "$0")/lib.sh"

start_cluster
sleep 5 # the handshakes' directory writes and the first heartbeats settle
run_pusher broadcast --nodes "$nodes" --per-node "$per_node"
# Each load process says when all its clients have the broadcast; give up waiting after 60 s.
for _ in $(seq 600); do
  done_count=$(cat "$work"/clients*.out | grep -c '"event":"broadcast-complete"' || true)
  [ "$done_count" -ge "$nodes" ] && break
  sleep 0.1
done
stop_clients
python3 "$root/bench/cluster/summarize.py" broadcast "$work" nodes="$nodes" per_node="$per_node"
