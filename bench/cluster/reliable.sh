#!/usr/bin/env bash
# Reliable cross-node messages per second, and Redis commands per message: the pusher node keeps CONCURRENCY sends to
# client ids in flight for SECONDS, every one to a session on another node (the receiving node stores it in the
# session's stream before the client may ack it). Redis's total_commands_processed is read before and after, minus
# the idle background measured just before (README.md).
# usage: reliable.sh [NODES=5] [PER_NODE=19000] [CONCURRENCY=128] [SECONDS=20]
# Env: TARGETS (send only to the first TARGETS clients of each node, so that acks can coalesce; default all), DRAIN (s
# after the sends before Redis is read again and the clients stop, 15: clients closed by a failed write reconnect).
set -euo pipefail
nodes=${1:-5} per_node=${2:-19000} concurrency=${3:-128} seconds=${4:-20}
targets=${TARGETS:-0} drain=${DRAIN:-15}
source "$(dirname "$0")/lib.sh"

start_cluster
run_pusher reliable --nodes "$nodes" --per-node "$per_node" --concurrency "$concurrency" --seconds "$seconds" --targets "$targets" \
  --drain-seconds "$drain"
stop_clients
python3 "$root/bench/cluster/summarize.py" reliable "$work" nodes="$nodes" per_node="$per_node"
