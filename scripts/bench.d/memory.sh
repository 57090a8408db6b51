# shellcheck shell=bash
# Part of scripts/bench, which sources it at its top level after reading the options:
# the server's resident memory after the first 10,000 authenticated requests, at
# the end, and with --memory over 1,000,000 more (--memory-requests N) spread over 1,000 keys.

# Resident memory after the first 10,000 authenticated requests.
first_requests() {
    banner "First $FIRST authenticated requests (for resident memory)"
    budget_run "$FIRST"
    metrics_snapshot "$WORK/m-first.txt"
    RSS_FIRST="$(rss_kb)"
    AUTH_FIRST="$(metric "$WORK/m-first.txt" kagibag_api_authentications_total 'outcome="accepted"')"
    echo "VmRSS $(mb "$RSS_FIRST") after $AUTH_FIRST accepted authentications ($(list_requests "$WORK/m-first.txt") list requests)"
}

# --- 9. memory -------------------------------------------------------------------------
report_memory() {
    banner "Resident memory (VmRSS of the server)"
    LIST_NOW="$(list_requests "$WORK/m-end.txt")"
    RSS_NOW="$(rss_kb)"
    printf '    after %10d authenticated list requests  %s\n' "$(list_requests "$WORK/m-first.txt")" "$(mb "$RSS_FIRST")"
    printf '    after %10d authenticated list requests  %s (×%s)\n' "$LIST_NOW" "$(mb "$RSS_NOW")" "$(ratio "$RSS_NOW" "$RSS_FIRST")"
    printf '    peak (VmHWM)                                 %s\n' "$(mb "$(hwm_kb)")"
    if [[ $MEMORY -eq 1 ]]; then
        memory_over_keys
        printf '    peak (VmHWM) of the fresh server             %s\n' "$(mb "$(hwm_kb)")"
    else
        echo "    (run with --memory for the figures over $MILLION authenticated requests spread over $MEMORY_KEYS keys)"
    fi
}

# --memory: what the server keeps per key (usage tallies, the recent requests: at most 200 a key
# and 20,000 waiting for the flush in all, RequestLog) is bounded, so resident memory should level
# off however many keys call. MEMORY_KEYS keys (seed.py, in 10 new teams of 100, copies of the bench key:
# real keys that verify; their teams have no events, so each answer is an empty list) are written
# straight into the database while the server is stopped, as --scale does; a fresh server then
# answers MILLION list requests, each with the next key in turn (memory.lua), and VmRSS is read at
# 10, 25, 50, 75 and 100 % of them: a flat tail is the finding, the start is the baseline.
# (MEMORY_KEYS=1000 is set in scripts/bench, which checks --scale-keys against it.)
MEMORY_STEPS=(10 25 50 75 100)
write_memory_lua() {
    cat "$WORK/bench.lua" - >"$WORK/memory.lua" <<'LUA'
-- GET of the URL's path with the keys in BENCH_KEYS (a file, one key a line) in turn: each
-- request the next key, every request built once in init(); thread tid of BENCH_THREADS starts
-- at its own place in the list, so that the threads do not send the same key at once.
function init(args)
    requests_of = {}
    for key in io.lines(os.getenv("BENCH_KEYS")) do
        table.insert(requests_of, wrk.format("GET", wrk.path, { Authorization = "Bearer " .. key }))
    end
    sent = (tid - 1) * math.floor(#requests_of / tonumber(os.getenv("BENCH_THREADS")))
end
function request()
    sent = sent + 1
    return requests_of[sent % #requests_of + 1]
end
LUA
}
memory_over_keys() {
    local keys="$WORK/memory-keys.txt" start rss0 rss_first="" done_now target step t0=$SECONDS
    echo "  $(thousands "$MEMORY_KEYS") keys seeded into the database (server stopped), then a fresh server:"
    seed_init
    stop_server
    seed "$MEMORY_KEYS keys for --memory" keys --like "$KEY" --add "$MEMORY_KEYS" --out "$keys"
    [[ "$(wc -l <"$keys")" -eq "$MEMORY_KEYS" ]] || fail "seed.py wrote $(wc -l <"$keys") keys, expected $MEMORY_KEYS"
    restart_measured
    echo "    kagibag restarted (pid $SERVER_PID) on $BASE"
    expect_status 200 "$(head -n 1 "$keys")" "$EVENTS_URL"
    expect_status 200 "$(tail -n 1 "$keys")" "$EVENTS_URL"
    write_memory_lua
    metrics_snapshot "$WORK/m-mem-start.txt"
    start="$(list_requests "$WORK/m-mem-start.txt")"
    rss0="$(rss_kb)"
    printf '    after %10d list requests (fresh server)  %s\n' 0 "$(mb "$rss0")"
    for step in "${MEMORY_STEPS[@]}"; do
        target=$(( MILLION * step / 100 ))
        metrics_snapshot "$WORK/m-mem-now.txt"
        done_now=$(( $(list_requests "$WORK/m-mem-now.txt") - start ))
        (( target <= done_now )) || BENCH_KEYS="$keys" BENCH_THREADS="$THREADS" budget_run $(( target - done_now )) 1 "$WORK/memory.lua" "$EVENTS_URL"
        metrics_snapshot "$WORK/m-mem.txt"
        done_now=$(( $(list_requests "$WORK/m-mem.txt") - start ))
        RSS_MILLION="$(rss_kb)"
        [[ -n "$rss_first" ]] || rss_first="$RSS_MILLION"
        printf '    after %10d list requests, %s keys  %s (×%s of the first figure; %d s)\n' "$done_now" "$MEMORY_KEYS" \
            "$(mb "$RSS_MILLION")" "$(ratio "$RSS_MILLION" "$rss_first")" $(( SECONDS - t0 ))
    done
    local B="$WORK/m-mem-start.txt" A="$WORK/m-mem.txt" accepted purpose
    accepted=$(( $(metric "$A" kagibag_api_authentications_total 'outcome="accepted"') - $(metric "$B" kagibag_api_authentications_total 'outcome="accepted"') ))
    printf '    on the fresh server: %d accepted authentications; database writes:' "$accepted"
    for purpose in $(label_values "$A" kagibag_db_queries_total purpose); do
        printf ' %s %d' "$purpose" $(( $(metric "$A" kagibag_db_queries_total 'kind="write"' "purpose=\"$purpose\"") - $(metric "$B" kagibag_db_queries_total 'kind="write"' "purpose=\"$purpose\"") ))
    done
    printf '; last-used flush batches %d\n' $(( $(metric "$A" kagibag_last_used_flush_batches_total) - $(metric "$B" kagibag_last_used_flush_batches_total) ))
    echo "    (each request with the next of the $MEMORY_KEYS keys in turn; ×: VmRSS over that after the first"
    echo "    $(( MEMORY_STEPS[0] ))% of the requests; from there on flat means bounded per-key memory)"
}
