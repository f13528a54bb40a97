#!/usr/bin/env bash
# Instructions per operation of the release test bed, counted by callgrind on the bench
# kit's scenarios (see docs/performance.md). Instruction counts do not depend on how busy
# the machine is, so they judge a change where wall-clock benches (±45 % here) cannot.
#
#   benches/callgrind.sh [scenario...]      scenarios: echo echo4k bcast polling (default: all)
#
# Environment:
#   TESTBED   the release test bed (default: target/release/testbed; build it with
#             `cargo build --release -p example-testbed`)
#   LOADGEN   the bench kit's loadgen binary (default: ../perf-bench/loadgen/target/release/loadgen)
#   OUT       where callgrind files go (default: target/callgrind)
#   WARM, RUN seconds of warm-up (not counted) and of counting (default 6 and 12)
#
# Method: the server runs under callgrind; loadgen drives it for WARM + RUN + 2 s; the
# counters are zeroed after WARM s and dumped after WARM + RUN s, inside loadgen's steady
# state. Operations in the counted window are the calls of the testbed's event handler
# (`erase_event`'s closure, called through a `dyn Fn`, so never inlined): per ack for echo/polling, per broadcast
# (x receivers = deliveries) for bcast. Result: Ir (instructions) per operation.
set -euo pipefail
cd "$(dirname "$0")/.."
TESTBED=${TESTBED:-target/release/testbed}
LOADGEN=${LOADGEN:-../perf-bench/loadgen/target/release/loadgen}
OUT=${OUT:-target/callgrind}
WARM=${WARM:-6}
RUN=${RUN:-12}
mkdir -p "$OUT"
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(echo echo4k bcast polling)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for sc in "${scenarios[@]}"; do
  case $sc in
    echo)    args=(echo -c 20 -k 4 -p 32); per=1 ;;
    echo4k)  args=(echo -c 20 -k 4 -p 4096); per=1 ;;
    bcast)   args=(broadcast -c 200 -p 32 --window 2); per=200 ;;
    polling) args=(polling -c 10 -k 1 -p 32); per=1 ;;
    *) echo "unknown scenario $sc" >&2; exit 2 ;;
  esac
  port=$(free_port)
  file="$OUT/$sc.out"
  rm -f "$file"
  PORT=$port PING_INTERVAL_MS=25000 PING_TIMEOUT_MS=20000 \
    valgrind --tool=callgrind --callgrind-out-file="$file" --dump-instr=no \
    "$TESTBED" >"$OUT/$sc.server.log" 2>&1 &
  vpid=$!
  for _ in $(seq 1 200); do
    (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
    sleep 0.1
  done
  "$LOADGEN" "${args[@]}" --addr 127.0.0.1:$port -w $((WARM - 1)) -d $((RUN + 3)) \
    >"$OUT/$sc.loadgen.json" 2>"$OUT/$sc.loadgen.log" &
  lpid=$!
  sleep "$WARM"
  callgrind_control -z $vpid >/dev/null
  sleep "$RUN"
  callgrind_control -d $vpid >/dev/null
  wait $lpid || true
  kill -TERM $vpid; wait $vpid || true
  # The dump of the counted window is "$file.1" (file written at exit: the rest).
  python3 - "$file.1" "$sc" "$per" <<'PY'
import re, sys
path, sc, per = sys.argv[1], sys.argv[2], int(sys.argv[3])
names, total, calls = {}, 0, {}
cfn = None
for line in open(path, errors="replace"):
    if line.startswith("summary:") or line.startswith("totals:"):
        total = max(total, int(line.split()[1]))
    m = re.match(r"(c?)fn=\((\d+)\)(?: (.*))?", line)
    if m:
        if m.group(3):
            names[m.group(2)] = m.group(3)
        if m.group(1):
            cfn = names.get(m.group(2), "")
        continue
    m = re.match(r"calls=(\d+)", line)
    if m and cfn is not None:
        calls[cfn] = calls.get(cfn, 0) + int(m.group(1))
        cfn = None
# one call per event received (echo, polling: per ack; bcast: per broadcast): the erased
# handler is called through `dyn Fn`, so it is never inlined; `dispatch` may be
ops = next((calls[n] for n in ("socketio::server::handler::erase_event::{{closure}}",
                               "socketio::server::client::dispatch") if calls.get(n)), 0)
if not ops:
    print(f"{sc}: no event dispatched in {path}", file=sys.stderr)
    for n, c in sorted(calls.items(), key=lambda x: -x[1])[:30]:
        print(f"  {c:>10} {n}", file=sys.stderr)
    sys.exit(1)
print(f"{sc}: {total} Ir / {ops * per} ops = {total / (ops * per):.0f} Ir per op")
PY
done
