#!/usr/bin/env bash
# The server's own overhead on a model call, measured from outside the
# process with wrk: the same OpenAI chat request sent straight to the
# fake provider, then through `preflight serve`'s OpenAI-compatible proxy
# (final check + payload + the call to the same fake), for 1 KB and 32 KB
# inputs. Added latency = through the server - straight, at p50 and p99;
# and requests per second through the server.
#
# Latency is measured with one connection (the added time of one call,
# not the queue of a saturated 2-core machine); requests per second with
# CONNECTIONS. wrk, the fake and the server share the machine's cores.
#
# Usage: benches/gateway.sh [seconds per run, default 10] [connections, default 16]
# Needs wrk (apt-get install -y wrk) and a release build with the fake:
#   cargo build --release -p prompt-preflight-server --features fake
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_PER_RUN=${1:-10}
CONNECTIONS=${2:-16}
BIN=target/release/preflight
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
[ -x "$BIN" ] || cargo build --release -p prompt-preflight-server --features fake
WORK=$(mktemp -d)
cleanup() { kill "${FAKE_PID:-}" "${SERVER_PID:-}" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
FAKE_PORT=$(free_port)
SERVER_PORT=$(free_port)
RUST_LOG=error "$BIN" fake-provider --addr "127.0.0.1:$FAKE_PORT" >"$WORK/fake.log" 2>&1 &
FAKE_PID=$!
RUST_LOG=error OPENAI_API_KEY=fake-key-bench OPENAI_BASE_URL="http://127.0.0.1:$FAKE_PORT/v1" \
  "$BIN" serve --addr "127.0.0.1:$SERVER_PORT" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
  grep -q "listening on" "$WORK/server.log" 2>/dev/null && grep -q "listening on" "$WORK/fake.log" 2>/dev/null && break
  sleep 0.1
done

# One line of meeting notes, repeated to the size asked.
text_of() {
  python3 - "$1" <<'PY'
import json, sys
size = int(sys.argv[1])
line = "The committee met on Tuesday to review the budget, the hiring plan and the roadmap. "
print(json.dumps((line * (size // len(line) + 1))[:size]))
PY
}

# A wrk script that POSTs a body with a header.
script() {
  cat >"$WORK/$1.lua" <<LUA
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.headers["authorization"] = "Bearer fake-key-bench"
wrk.headers["x-preflight-tier"] = "paid"
wrk.body = io.open("$WORK/$1.json"):read("*a")
LUA
}

# p50, p99 (ms) and requests/s from wrk --latency, with $3 connections.
measure() {
  local url=$1 name=$2 connections=$3
  local threads=$(( connections < 2 ? 1 : 2 ))
  wrk -t"$threads" -c"$connections" -d"${SECONDS_PER_RUN}s" --latency -s "$WORK/$name.lua" "$url" >"$WORK/$name.out"
  python3 - "$WORK/$name.out" <<'PY'
import re, sys
out = open(sys.argv[1]).read()
def ms(v, unit):
    return float(v) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
lat = dict((p, ms(v, u)) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)$", out, re.M))
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
errors = int(non2xx.group(1)) if non2xx else 0
print(f"{lat['50']:.3f} {lat['99']:.3f} {rps:.0f} {errors}")
PY
}

echo "| input | one connection, straight to the fake: p50 / p99 | through preflight: p50 / p99 | added p50 / p99 | $CONNECTIONS connections: requests/s straight / through preflight | non-2xx |"
echo "|---|---:|---:|---:|---:|---:|"
for size in 1024 32768; do
  content=$(text_of "$size")
  echo "{\"model\": \"gpt-4o-mini\", \"max_tokens\": 1000, \"messages\": [{\"role\": \"system\", \"content\": \"You summarise documents faithfully. Do not add facts that are not in the text.\"}, {\"role\": \"user\", \"content\": $content}]}" >"$WORK/direct-$size.json"
  echo "{\"model\": \"summarise-document\", \"messages\": [{\"role\": \"user\", \"content\": $content}]}" >"$WORK/proxy-$size.json"
  script "direct-$size"
  script "proxy-$size"
  # Warm both up (the vocabulary, connections).
  curl -s -o /dev/null -X POST -H 'content-type: application/json' -H 'x-preflight-tier: paid' \
    --data @"$WORK/proxy-$size.json" "http://127.0.0.1:$SERVER_PORT/v1/chat/completions"
  read -r d50 d99 _ d_err < <(measure "http://127.0.0.1:$FAKE_PORT/v1/chat/completions" "direct-$size" 1)
  read -r p50 p99 _ p_err < <(measure "http://127.0.0.1:$SERVER_PORT/v1/chat/completions" "proxy-$size" 1)
  read -r _ _ drps dl_err < <(measure "http://127.0.0.1:$FAKE_PORT/v1/chat/completions" "direct-$size" "$CONNECTIONS")
  read -r _ _ prps pl_err < <(measure "http://127.0.0.1:$SERVER_PORT/v1/chat/completions" "proxy-$size" "$CONNECTIONS")
  added50=$(python3 -c "print(f'{$p50 - $d50:.3f}')")
  added99=$(python3 -c "print(f'{$p99 - $d99:.3f}')")
  echo "| $((size / 1024)) KB | $d50 / $d99 ms | $p50 / $p99 ms | $added50 / $added99 ms | $drps / $prps | $((d_err + p_err + dl_err + pl_err)) |"
done
