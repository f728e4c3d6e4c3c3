#!/usr/bin/env bash
# Cross-node push to client ids: NODES tether serve nodes on one Redis, PER_NODE session clients on each (one load
# process per node, its own source address), and a pusher node with no clients of its own that pushes to random
# client ids at RATE/s for SECONDS; latency from the push call to the arrival at the client (README.md).
# usage: push.sh [NODES=5] [PER_NODE=19000] [RATE=2000] [SECONDS=60]
set -euo pipefail
nodes=${1:-5} per_node=${2:-19000} rate=${3:-2000} seconds=${4:-60}
source "$(dirname "$0")/lib.sh"

start_cluster
memory_line
run_pusher push --nodes "$nodes" --per-node "$per_node" --rate "$rate" --seconds "$seconds"
sleep 2 # the last pushes' way to the clients
stop_clients
python3 "$root/bench/cluster/summarize.py" push "$work" nodes="$nodes" per_node="$per_node"
