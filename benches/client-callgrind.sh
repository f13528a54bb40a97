#!/usr/bin/env bash
# benches/client-callgrind.sh <testbed-binary> <json|msgpack> <echo|bcast> <n> [receivers]
#
# Server instructions (callgrind) for one run of the official socket.io-client (benches/client.mjs):
# n acked echoes, or n acked broadcasts to the sender and `receivers` other sockets, each awaited
# by every receiver. The total includes startup: run it with n and 2n and divide the difference
# by n (echo) or n x (receivers + 1) (bcast). Needs valgrind, node and tests/install/npm.sh.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin=$1; parser=$2; mode=$3; n=$4; r=${5:-0}
out=$(mktemp -d)
port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
envp=(); [[ $parser == msgpack ]] && envp=(PARSER=msgpack)
env PORT="$port" PING_INTERVAL_MS=25000 PING_TIMEOUT_MS=20000 "${envp[@]}" \
    valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" "$bin" >"$out/server.log" 2>&1 &
vpid=$!
for _ in $(seq 1 300); do (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.2; done
node "$root/benches/client.mjs" "http://127.0.0.1:$port" "$parser" "$mode" "$n" "$r"
kill -INT "$vpid"; wait "$vpid" || true
grep -E "^(summary|totals):" "$out/cg.out" | head -1 | sed "s/^[a-z]*: //"
rm -rf "$out"
