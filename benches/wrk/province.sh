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
    APP__SERVER__BIND=127.0.0.1:$port APP__WECHAT__MODE=plain APP__LOG__FILTER=warn
bin=target/release/sunvillage
psql "$pg/$db" -qc "DELETE FROM staff_accounts WHERE username = 'bench_auditor'" 2>/dev/null || true
echo 'Province-bench-2026!' | $bin user add --username bench_auditor --name 基准审计员 \
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
name=$(psql "$pg/$db" -tAc "SELECT name FROM regions WHERE code = '$village'" | sed 's/村民委员会$//;s/居民委员会$//;s/委员会$//')
jar=$(mktemp)
csrf=$(curl -s -c "$jar" "http://127.0.0.1:$port/staff/login" | grep -o 'name="login_csrf" value="[^"]*"' | sed 's/.*value="//;s/"$//')
curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "login_csrf=$csrf" --data-urlencode next=/staff \
    --data-urlencode username=bench_auditor --data-urlencode 'password=Province-bench-2026!' \
    "http://127.0.0.1:$port/staff/login"
cookie=$(awk '!/^#/ && NF >= 7 {printf "%s%s=%s", sep, $6, $7; sep="; "}' "$jar")
rm -f "$jar"
status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "http://127.0.0.1:$port/staff/complaints")
[ "$status" = 200 ] || { echo "the auditor's queue answered $status" >&2; exit 1; }

peak_rss() { # the server's VmHWM (peak resident set) so far, in MB
    echo $(($(awk '/VmHWM/ {print $2}' /proc/$server/status) / 1024))
}
run() { # label, url, extra wrk arguments…
    local label=$1 url=$2; shift 2
    wrk -t2 -c8 -d3s "$@" "$url" >/dev/null # warm-up
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
run "search /search?q=$name" "http://127.0.0.1:$port/search?q=$(python3 -c "import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1]))" "$name")" "${gz[@]}"
run "staff queue /staff/complaints (auditor, whole province)" "http://127.0.0.1:$port/staff/complaints" "${gz[@]}" -H "Cookie: $cookie"
ts=$(date +%s); nonce=1320562132
sig=$(printf '%s\n' sunvillage-dev-token "$ts" "$nonce" | LC_ALL=C sort | tr -d '\n' | sha1sum | cut -d' ' -f1)
export WEBHOOK_QUERY="signature=$sig&timestamp=$ts&nonce=$nonce" WEBHOOK_WORDS="$name" WEBHOOK_UNIQUE=1
run "webhook, plain, unique \"$name\"" "http://127.0.0.1:$port" -s benches/wrk/webhook_plain.lua
