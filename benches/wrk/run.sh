#!/usr/bin/env bash
# The webhook under wrk on loopback (docs/benchmarks.md, "Webhook"). Starts the release
# build on a scratch database and Redis prefix, runs wrk, stops the server it started.
#
#   benches/wrk/run.sh plain|safe unique|repeat [WORDS] [DURATION] [CONNECTIONS]
#
# CHINA=1 first imports all of China's divisions (data/regions/china) into the scratch
# database, so that the lookup searches 620,573 villages instead of 信阳市's 3,474.
# PERF=FILE records a CPU profile of the server during the run (perf report -i FILE).
# SUNVILLAGE=FILE runs that binary instead of target/release/sunvillage (an older build,
# for a before and after in alternating runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:?plain or safe}; kind=${2:?unique or repeat}
words=${3:-王岗}; duration=${4:-20s}; connections=${5:-32}
threads=2
# A free port, so that nothing else on the machine answers in our place.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
db=sv_bench_webhook
pg=postgres://postgres@127.0.0.1:5432
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
scripts/ensure-services
sv=${SUNVILLAGE:-target/release/sunvillage}
[ -n "${SUNVILLAGE:-}" ] || test -x "$sv" || cargo build --release --locked --bin sunvillage

psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
redis-cli --scan --pattern 'svbench:*' | xargs -r redis-cli del >/dev/null
export APP__DATABASE__URL="$pg/$db" APP__REDIS__KEY_PREFIX=svbench: \
    APP__SERVER__BIND=127.0.0.1:$port APP__WECHAT__MODE=$mode APP__LOG__FILTER=warn
if [ "${CHINA:-0}" = 1 ]; then
    "$sv" import-regions --quiet data/regions/china
fi
"$sv" serve 2>/tmp/sv-bench-server.log &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.5; done
kill -0 $server 2>/dev/null || { cat /tmp/sv-bench-server.log >&2; exit 1; }

if [ "$mode" = plain ]; then
    ts=$(date +%s); nonce=1320562132
    sig=$(printf '%s\n' sunvillage-dev-token "$ts" "$nonce" | LC_ALL=C sort | tr -d '\n' | sha1sum | cut -d' ' -f1)
    export WEBHOOK_QUERY="signature=$sig&timestamp=$ts&nonce=$nonce" WEBHOOK_WORDS="$words"
    export WEBHOOK_UNIQUE=$([ "$kind" = unique ] && echo 1 || echo 0)
    script=benches/wrk/webhook_plain.lua
else
    export WEBHOOK_BODIES=/tmp/sv-bench-safe
    python3 benches/wrk/gen_safe_bodies.py "$WEBHOOK_BODIES" $threads "${SAFE_PER_THREAD:-120000}" "$words" \
        $([ "$kind" = repeat ] && echo repeat)
    script=benches/wrk/webhook_safe.lua
fi
# One request by hand first: it must be answered 200 with the village list.
first=$("$sv" simulate --url "http://127.0.0.1:$port/wechat" --mode "$mode" --text "$words")
sed -n 1,3p <<<"$first"
echo "== $mode mode, $kind messages, regions: $(psql "$pg/$db" -tAc "SELECT count(*) FROM regions WHERE level = 'village'") villages, \"$words\", $connections connections, $duration"
# PERF=FILE: a CPU profile of the server (perf record -g) over the middle of the run.
if [ -n "${PERF:-}" ]; then
    (sleep 3; perf record -F 499 -g -p $server -o "$PERF" -- sleep 10 >/dev/null 2>&1) &
    profiler=$!
fi
wrk -t$threads -c"$connections" -d"$duration" --latency -s "$script" "http://127.0.0.1:$port"
[ -z "${profiler:-}" ] || wait "$profiler"
sleep 2
echo "inbound_messages rows: $(psql "$pg/$db" -tAc 'SELECT count(*) FROM inbound_messages')"
