# shellcheck shell=bash
# Part of scripts/bench, which sources it at its top level after reading the options:
# wrk: its Lua script, measure (the low-load, peer and scale cases), budget_run
# (untimed request budgets), and figures.tsv, which the chart is drawn from.

# --- 6. wrk ------------------------------------------------------------------------
write_wrk_script() {
    cat >"$WORK/bench.lua" <<'LUA'
-- Method and body from the environment; an optional per-thread request budget; a
-- machine-readable summary line with latency percentiles.
local method = os.getenv("BENCH_METHOD")
local body = os.getenv("BENCH_BODY")
if method and method ~= "" then wrk.method = method end
if body and body ~= "" then
    wrk.body = body
    wrk.headers["Content-Type"] = "application/json"
end

local budget = tonumber(os.getenv("BENCH_BUDGET") or "0") or 0
local count_ok = os.getenv("BENCH_COUNT_OK") == "1" or os.getenv("BENCH_COUNT_OK") == "2xx"
local any_2xx = os.getenv("BENCH_COUNT_OK") == "2xx"
if budget > 0 then
    local answered = 0
    function response(status, headers, body)
        answered = answered + 1
        if answered >= budget then wrk.thread:stop() end
    end
elseif count_ok then
    -- Counts the 200 answers exactly (only where asked: a response() callback costs wrk time);
    -- BENCH_COUNT_OK=2xx counts every 2xx (POST's 201), never a 429.
    ok = 0
    function response(status, headers, body)
        if status == 200 or (any_2xx and status >= 200 and status < 300) then ok = ok + 1 end
    end
end

-- Every thread in `threads`, and its number (1, 2, …) as its global `tid`: scripts appended
-- to this one (memory.sh, scope-lua.sh) give each thread its own part of their lists by it.
local threads = {}
function setup(thread)
    table.insert(threads, thread)
    thread:set("tid", #threads)
end

function done(summary, latency, requests)
    local e = summary.errors
    local seconds = summary.duration / 1e6
    local ok = -1
    if count_ok and budget == 0 then
        ok = 0
        for _, thread in ipairs(threads) do ok = ok + (thread:get("ok") or 0) end
    end
    io.write(string.format(
        "BENCH requests=%d seconds=%.3f rps=%.1f p50=%.3f p90=%.3f p99=%.3f max=%.3f status_errors=%d socket_errors=%d ok=%d\n",
        summary.requests, seconds, summary.requests / seconds,
        latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
        latency.max / 1000, e.status, e.connect + e.read + e.write + e.timeout, ok))
end
LUA
}

# run_wrk OUT DURATION [wrk args...]: wrk's output in OUT; environment from the caller.
run_wrk() {
    local out="$1" duration="$2"; shift 2
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"$duration" --latency -s "$WORK/bench.lua" "$@" >"$out" 2>&1
}
# measure KEY THREADS CONNECTIONS [wrk args...]: a warm-up and a measured wrk run (-dDURATION)
# at other settings than the main table's; figures in M_*[KEY], raw output in wrk-KEY.txt.
# BENCH_TIMEOUT (e.g. 30s) sets wrk's --timeout; BENCH_COUNT_OK=1 counts the 200s exactly (=2xx: every 2xx);
# BENCH_DRAIN=1 waits for the warm-up's queue to drain. M_SRV and M_PG: our server's (and
# PostgreSQL's) CPU µs per request wrk counted in the measured run.
declare -A M_RPS M_P50 M_P99 M_REQS M_SECONDS M_STATUS M_SOCK M_OK M_SRV M_PG
measure() {
    local key="$1" t="$2" c="$3" rc=0 line extra=() pg_pids=() cpu0 cpu1 pg0 pg1
    shift 3
    [[ -z "${BENCH_TIMEOUT:-}" ]] || extra=(--timeout "$BENCH_TIMEOUT")
    if [[ "$WARMUP" != 0 && "$WARMUP" != 0s ]]; then
        wrk -t"$t" -c"$c" -d"$WARMUP" "${extra[@]}" -s "$WORK/bench.lua" "$@" >"$WORK/warmup-$key.txt" 2>&1 || true
        # A slow server (pretix) still holds the warm-up's queued requests when wrk stops: one
        # request more (the same -H and URL) returns once they are answered.
        if [[ "${BENCH_DRAIN:-0}" == 1 ]]; then curl -sS -o /dev/null --max-time 120 "$@" || true; fi
    fi
    [[ $USE_POSTGRES -eq 0 ]] || mapfile -t pg_pids < <(postgres_pids)
    cpu0="$(cpu_ticks "$SERVER_PID")"; pg0="$(cpu_ticks "${pg_pids[@]}")"
    wrk -t"$t" -c"$c" -d"$DURATION" --latency "${extra[@]}" -s "$WORK/bench.lua" "$@" >"$WORK/wrk-$key.txt" 2>&1 || rc=$?
    cpu1="$(cpu_ticks "$SERVER_PID")"; pg1="$(cpu_ticks "${pg_pids[@]}")"
    sed 's/^/    /' "$WORK/wrk-$key.txt"
    line="$(grep '^BENCH ' "$WORK/wrk-$key.txt" || true)"
    if [[ $rc -ne 0 || -z "$line" ]]; then echo "    (wrk failed; no figures for this case)"; return 0; fi
    M_RPS[$key]="$(bench_field rps "$line")"; M_P50[$key]="$(bench_field p50 "$line")"; M_P99[$key]="$(bench_field p99 "$line")"
    M_REQS[$key]="$(bench_field requests "$line")"; M_SECONDS[$key]="$(bench_field seconds "$line")"
    M_STATUS[$key]="$(bench_field status_errors "$line")"; M_SOCK[$key]="$(bench_field socket_errors "$line")"
    M_OK[$key]="$(bench_field ok "$line")"
    M_SRV[$key]="$(awk -v t=$(( cpu1 - cpu0 )) -v hz="$TICKS" -v n="${M_REQS[$key]}" 'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')"
    M_PG[$key]="$(awk -v t=$(( pg1 - pg0 )) -v hz="$TICKS" -v n="${M_REQS[$key]}" 'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')"
}
bench_field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }
# figure SECTION FIELD...: one line of figures.tsv, which the SVG chart is drawn from.
figure() { local IFS=$'\t'; echo "$*" >>"$WORK/figures.tsv"; }

# budget_run TOTAL [PROGRESS [LUA URL]]: about TOTAL more authenticated GETs of the event list,
# untimed (with LUA: that wrk script's requests to URL, which set their own key). Each wrk
# thread stops itself after its share (wrk.thread:stop()); wrk's main thread would still sit
# out its whole duration, so this watches the server's own request counter and ends wrk
# (SIGINT) once the share has been answered. Prints progress every 10 s when asked to.
budget_run() {
    local total="$1" progress="${2:-0}" per_thread=$(( ($1 + THREADS - 1) / THREADS ))
    local start target now last_report=$SECONDS args=(-s "$WORK/bench.lua" -H "Authorization: Bearer $KEY" "$EVENTS_URL")
    [[ $# -lt 4 ]] || args=(-s "$3" "$4")
    metrics_snapshot "$WORK/m-budget.txt"
    start="$(list_requests "$WORK/m-budget.txt")"
    target=$(( start + total ))
    BENCH_BUDGET="$per_thread" wrk -t"$THREADS" -c"$CONNECTIONS" -d3600s "${args[@]}" >"$WORK/budget.txt" 2>&1 &
    WRK_PID=$!
    while :; do
        sleep 0.2
        metrics_snapshot "$WORK/m-budget.txt"
        now="$(list_requests "$WORK/m-budget.txt")"
        (( now < target )) || break
        if ! kill -0 "$WRK_PID" 2>/dev/null; then
            wait "$WRK_PID" || true
            cat "$WORK/budget.txt" >&2
            fail "wrk stopped after $(( now - start )) of $total requests"
        fi
        if [[ "$progress" == 1 ]] && (( SECONDS - last_report >= 10 )); then
            printf '    … %d list requests, VmRSS %s\n' "$now" "$(mb "$(rss_kb)")"
            last_report=$SECONDS
        fi
    done
    kill -INT "$WRK_PID" 2>/dev/null || true
    wait "$WRK_PID" 2>/dev/null || true
    WRK_PID=""
    sleep 0.5   # let in-flight requests finish before memory is read
}
