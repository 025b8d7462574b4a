#!/usr/bin/env bash
# The service on a province-sized database (docs/benchmarks.md, "A province on one
# machine"): the home page, the village page, a disclosure page, search, the webhook and
# the staff queue, each under wrk, with p50, p99 and the server's peak resident memory. Build the
# database first with scripts/synth-province (it is not dropped here); a scratch Redis
# prefix. Prints one Markdown table row per target.
#
#   benches/wrk/province.sh [DATABASE] [DURATION] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/../.."
db=${1:-sv_province}; duration=${2:-15s}; connections=${3:-32}
pg=postgres://postgres@127.0.0.1:5432
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
test -x target/release/sunvillage || cargo build --release --locked --bin sunvillage
redis-cli --scan --pattern 'svprov:*' | xargs -r redis-cli del >/dev/null
export APP__DATABASE__URL="$pg/$db" APP__REDIS__KEY_PREFIX=svprov: \
    APP__SERVER__BIND=127.0.0.1:$port APP__WECHAT__MODE=safe APP__LOG__FILTER=warn \
    APP__OUTBOX__WORKER_IN_SERVE=false
bin=target/release/sunvillage
# A new auditor per run (accounts are never deleted: the audit log names them).
auditor=bench_auditor_$(date +%s)
echo 'Province-bench-2026!' | $bin user add --username "$auditor" --name 基准审计员 \
    --role auditor --region "${PROVINCE:-41}" --password-stdin >/dev/null

started=$(date +%s.%N)
$bin serve 2>/tmp/sv-province-server.log &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
kill -0 $server 2>/dev/null || { cat /tmp/sv-province-server.log >&2; exit 1; }
printf 'ready after %.1f s, resident %s MB\n' "$(echo "$(date +%s.%N) - $started" | bc)" \
    "$(($(awk '/VmRSS/ {print $2}' /proc/$server/status) / 1024))"

# Targets: the busiest village (most disclosures), its most corrected disclosure, a
# two-character search, and the auditor's queue over the whole province.
village=$(psql "$pg/$db" -tAc "SELECT region_code FROM disclosures GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
disclosure=$(psql "$pg/$db" -tAc "SELECT id FROM disclosures WHERE region_code = '$village' AND current_version = 2 LIMIT 1")
jar=$(mktemp)
csrf=$(curl -s -c "$jar" "http://127.0.0.1:$port/staff/login" | grep -o 'name="login_csrf" value="[^"]*"' | sed 's/.*value="//;s/"$//')
curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "login_csrf=$csrf" --data-urlencode next=/staff \
    --data-urlencode username="$auditor" --data-urlencode 'password=Province-bench-2026!' \
    "http://127.0.0.1:$port/staff/login"
# (curl marks HttpOnly cookies with a #HttpOnly_ prefix, which is not a comment.)
cookie=$(sed 's/^#HttpOnly_//' "$jar" | awk '!/^#/ && NF >= 7 {printf "%s%s=%s", sep, $6, $7; sep="; "}')
rm -f "$jar"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "http://127.0.0.1:$port/staff/complaints")
[ "$status" = 200 ] || { echo "the auditor's queue answered $status" >&2; exit 1; }

peak_rss() { # the server's VmHWM (peak resident set) so far, in MB
    echo $(($(awk '/VmHWM/ {print $2}' /proc/$server/status) / 1024))
}
run() { # label, url, extra wrk arguments…
    local label=$1 url=$2; shift 2
    # Warm-up; not for the webhook, whose replayed messages would then be retries.
    [ "${warm:-1}" = 0 ] || wrk -t2 -c8 -d3s "$@" "$url" >/dev/null
    local out; out=$(wrk -t2 -c"$connections" -d"$duration" --latency "$@" "$url")
    local rps p50 p99 errors
    rps=$(awk '/Requests\/sec/ {printf "%d", $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out"); p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(grep -E 'Non-2xx|Socket errors' <<<"$out" | tr -s ' ' | paste -sd' ' || true)
    printf '| %s | %s | %s | %s | %s MB | %s |\n' "$label" "$rps" "$p50" "$p99" "$(peak_rss)" "${errors:-none}"
}
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); $connections connections, $duration each"
echo "| target | requests/s | p50 | p99 | peak RSS | errors |"
echo "| --- | ---: | ---: | ---: | ---: | --- |"
gz=(-H 'Accept-Encoding: gzip')
run "home page / (figures over the whole province)" "http://127.0.0.1:$port/" "${gz[@]}"
run "village page /v/$village" "http://127.0.0.1:$port/v/$village" "${gz[@]}"
run "disclosure page /d/$disclosure (2 versions)" "http://127.0.0.1:$port/d/$disclosure" "${gz[@]}"
run "search /search?q=王岗 (a common name: a list)" "http://127.0.0.1:$port/search?q=%E7%8E%8B%E5%B2%97" "${gz[@]}"
run "staff queue /staff/complaints (auditor, whole province)" "http://127.0.0.1:$port/staff/complaints" "${gz[@]}" -H "Cookie: $cookie"
# Safe mode, every request a first delivery: wechatpy encrypts and signs distinct
# messages beforehand (msg_signature covers each body), replayed in order.
export WEBHOOK_BODIES=/tmp/sv-province-safe
python3 benches/wrk/gen_safe_bodies.py "$WEBHOOK_BODIES" 2 "${SAFE_PER_THREAD:-100000}" 王岗
warm=0 run "webhook, safe mode, unique messages \"王岗\"" "http://127.0.0.1:$port" -s benches/wrk/webhook_safe.lua
