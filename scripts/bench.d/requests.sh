# shellcheck shell=bash
# Part of scripts/bench, which sources it at its top level after reading the options:
# --requests (issue #25): what keeping each key's recent requests costs the authenticated list,
# and with --baseline BIN what an API write's Activity entry costs POST event.

# --- 9a. requests ------------------------------------------------------------------------------
# The same data throughout (the run's database, its team, key and events); only the server process
# changes, stopped and started afresh for each setting:
#   on        this binary as shipped (KAGIBAG_REQUEST_LOG=true: every API request kept in memory,
#             written in batches with the usage flush)
#   off       this binary with KAGIBAG_REQUEST_LOG=false (nothing kept)
#   baseline  --baseline BIN, a binary from before API writes wrote an Activity entry, started with
#             KAGIBAG_AUTO_MIGRATE=false on the same database (ours migrated it further; the
#             added columns and tables are nothing to it)
# Each server answers the main table's two authenticated cases in turn, the list (GET events) and
# POST event, at the main table's wrk settings, each after its own warm-up. Only 2xx answers
# count (BENCH_COUNT_OK=2xx: a 429 or a 500 is not throughput). The settings alternate, one
# round after another, the order reversed every other round (on off baseline, baseline off on,
# …: a machine that slows down steadily moves both sides of a ratio alike); each figure is the
# median of its rounds (at least two; --rounds N for more), each ratio that of the medians.
REQ_CASES=(list post)
declare -A REQ_CASE_LABEL=([list]="GET events, valid key" [post]="POST events, valid key")
declare -A REQ_SETTING_LABEL=(
    [on]="request log on (as shipped)"
    [off]="KAGIBAG_REQUEST_LOG=false"
    [baseline]="--baseline (no Activity rows)"
    [budgets]="request budgets on, never tripping"
    [busy]="budget of 150,000 a minute (leases as it goes)"
    [nobudgets]="KAGIBAG_API_RATE_LIMIT=0 (budgets off)"
)
declare -A REQ_R_OK REQ_R_P99 REQ_R_SRV REQ_R_PG REQ_NON2XX REQ_SOCK REQ_OK REQ_P99 REQ_SRV REQ_PG
REQ_SETTINGS=(on off)
# --budgets (issue #29): the list with request budgets on (KAGIBAG_API_RATE_LIMIT=1,000,000,000, so
# they never trip: on PostgreSQL each instance leases slices of 2 % from the database), with a
# budget of 150,000 a minute (a warm-up and a run spend a fifth of it, in slices of 3,000: the
# leases of a busy key as it goes), and off.
declare -A REQ_LEASES
if [[ ${BUDGETS:-0} -eq 1 ]]; then REQ_SETTINGS=(budgets busy nobudgets); REQ_CASES=(list); fi

# requests_server SETTING: the server for that setting, started afresh on the same data.
requests_server() {
    stop_server
    case "$1" in
        on) KAGIBAG_REQUEST_LOG=true start_server ;;
        off) KAGIBAG_REQUEST_LOG=false start_server ;;
        budgets) KAGIBAG_API_RATE_LIMIT=1000000000 start_server ;;
        busy) KAGIBAG_API_RATE_LIMIT=150000 start_server ;;
        nobudgets) KAGIBAG_API_RATE_LIMIT=0 start_server ;;
        baseline) BIN="$BASELINE_BIN" KAGIBAG_AUTO_MIGRATE=false start_server ;;
    esac
    EVENTS_URL="$BASE/api/v1/organizer/events"
    # The run's key must still list its events on each of them (the baseline reads the same rows).
    expect_status 200 "$KEY" "$EVENTS_URL"
}

# requests_case SETTING CASE ROUND: a warm-up and a measured run of CASE on the running server;
# the 2xx per second, p99, the server's (and PostgreSQL's) CPU per request it answered.
requests_case() {
    local setting="$1" name="$2" round="$3" file method="" body="" rc=0 line pg_pids=() cpu0 cpu1 pg0 pg1 served sel ok
    file="req-$setting-$name-r$round"
    [[ "$name" != post ]] || { method=POST; body="$EVENT_BODY"; }
    echo "  ${REQ_CASE_LABEL[$name]}, ${REQ_SETTING_LABEL[$setting]} (round $round)"
    if [[ "$WARMUP" != 0 && "$WARMUP" != 0s ]]; then
        BENCH_METHOD="$method" BENCH_BODY="$body" BENCH_COUNT_OK=2xx run_wrk "$WORK/warmup-$file.txt" "$WARMUP" \
            -H "Authorization: Bearer $KEY" "$EVENTS_URL" || true
    fi
    metrics_snapshot "$WORK/m-before-$file.txt"
    [[ $USE_POSTGRES -eq 0 ]] || mapfile -t pg_pids < <(postgres_pids)
    cpu0="$(cpu_ticks "$SERVER_PID")"; pg0="$(cpu_ticks "${pg_pids[@]}")"
    BENCH_METHOD="$method" BENCH_BODY="$body" BENCH_COUNT_OK=2xx run_wrk "$WORK/wrk-$file.txt" "$DURATION" \
        -H "Authorization: Bearer $KEY" "$EVENTS_URL" || rc=$?
    cpu1="$(cpu_ticks "$SERVER_PID")"; pg1="$(cpu_ticks "${pg_pids[@]}")"
    metrics_snapshot "$WORK/m-after-$file.txt"
    sed 's/^/    /' "$WORK/wrk-$file.txt"
    REQ_LEASES[$setting-$name]=$(( ${REQ_LEASES[$setting-$name]:-0} \
        + $(metric "$WORK/m-after-$file.txt" kagibag_api_budget_statements_total 'statement="lease"') \
        - $(metric "$WORK/m-before-$file.txt" kagibag_api_budget_statements_total 'statement="lease"') ))
    line="$(grep '^BENCH ' "$WORK/wrk-$file.txt" || true)"
    if [[ $rc -ne 0 || -z "$line" ]]; then echo "    (wrk failed; no figures for this case)"; return 0; fi
    ok="$(bench_field ok "$line")"
    REQ_R_OK[$setting-$name]+=" $(awk -v n="$ok" -v s="$(bench_field seconds "$line")" 'BEGIN { printf "%.1f", n / s }')"
    REQ_R_P99[$setting-$name]+=" $(bench_field p99 "$line")"
    REQ_NON2XX[$setting-$name]=$(( ${REQ_NON2XX[$setting-$name]:-0} + $(bench_field requests "$line") - ok ))
    REQ_SOCK[$setting-$name]=$(( ${REQ_SOCK[$setting-$name]:-0} + $(bench_field socket_errors "$line") ))
    # CPU per request the server answered (its own counter, every status), as in the main table.
    sel=("$LIST_ROUTE" "method=\"${method:-GET}\"")
    served=$(( $(metric "$WORK/m-after-$file.txt" kagibag_http_requests_total "${sel[@]}") \
        - $(metric "$WORK/m-before-$file.txt" kagibag_http_requests_total "${sel[@]}") ))
    REQ_R_SRV[$setting-$name]+=" $(awk -v t=$(( cpu1 - cpu0 )) -v hz="$TICKS" -v n="$served" 'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')"
    REQ_R_PG[$setting-$name]+=" $(awk -v t=$(( pg1 - pg0 )) -v hz="$TICKS" -v n="$served" 'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')"
}

# requests_ratio_line LABEL A B TARGET: the median 2xx/s of A over B's against the target, each
# round's own ratio, and both sides' CPU per request.
requests_ratio_line() {
    local label="$1" a="$2" b="$3" target="$4" r rounds="" i
    local -a ra rb
    r="$(ratio "${REQ_OK[$a]:-}" "${REQ_OK[$b]:-}")"
    read -ra ra <<<"${REQ_R_OK[$a]:-}"; read -ra rb <<<"${REQ_R_OK[$b]:-}"
    for i in "${!ra[@]}"; do [[ -z "${rb[$i]:-}" ]] || rounds+=" $(ratio "${ra[$i]}" "${rb[$i]}")"; done
    printf '%-40s %5s×  target ≥ %s×: %-7s (rounds:%s; CPU µs/req %s against %s)\n' "$label" "$r" "$target" \
        "$(awk -v r="$r" -v t="$target" 'BEGIN { print (r == "n/a" ? "n/a" : (r + 0 >= t + 0 ? "met" : "NOT met")) }')" \
        "${rounds:- n/a}" "$(requests_cpu "$a")" "$(requests_cpu "$b")"
}
requests_cpu() { # KEY: the server's CPU µs/req, and PostgreSQL's after a + on PostgreSQL
    if [[ -z "${REQ_SRV[$1]:-}" ]]; then echo n/a
    elif [[ $USE_POSTGRES -eq 1 ]]; then echo "${REQ_SRV[$1]} + ${REQ_PG[$1]}"
    else echo "${REQ_SRV[$1]}"; fi
}
print_requests() {
    local name setting key status header_cpu="srv CPU µs/req"
    [[ $USE_POSTGRES -eq 0 ]] || header_cpu="srv+pg CPU µs/req"
    printf '%-55s %9s %8s %9s %18s\n' "same data, server restarted per setting" "2xx/s" "p99 ms" "non-2xx" "$header_cpu"
    for name in "${REQ_CASES[@]}"; do
        for setting in "${REQ_SETTINGS[@]}"; do
            key="$setting-$name"
            if [[ -z "${REQ_OK[$key]:-}" ]]; then
                printf '%-55s %9s\n' "${REQ_CASE_LABEL[$name]}, ${REQ_SETTING_LABEL[$setting]}" "failed"; continue
            fi
            status="${REQ_NON2XX[$key]}"; [[ "${REQ_SOCK[$key]}" -eq 0 ]] || status="$status!"
            printf '%-55s %9.0f %8.2f %9s %18s\n' "${REQ_CASE_LABEL[$name]}, ${REQ_SETTING_LABEL[$setting]}" \
                "${REQ_OK[$key]}" "${REQ_P99[$key]}" "$status" "$(requests_cpu "$key")"
        done
    done
    if [[ ${BUDGETS:-0} -eq 1 ]]; then
        requests_ratio_line "list: budgets on / off" budgets-list nobudgets-list 0.95
        requests_ratio_line "list: 150,000 a minute / off" busy-list nobudgets-list 0.95
        echo "Lease statements in the measured runs: ${REQ_LEASES[budgets-list]:-0} never tripping, ${REQ_LEASES[busy-list]:-0} at 150,000 a"
        echo "minute, over $REQ_ROUNDS runs of $DURATION each (target of #29: at most a few a second per busy key)."
        echo "Target of #29: the list with budgets on at least 0.95× of it off."
        return 0
    fi
    requests_ratio_line "list: request log on / off" on-list off-list 0.95
    if [[ -n "$BASELINE_BIN" ]]; then
        requests_ratio_line "POST event: ours / baseline" on-post baseline-post 0.9
        requests_ratio_line "(POST event: ours, log off / baseline)" off-post baseline-post 0.9
    else
        requests_ratio_line "(POST event: request log on / off)" on-post off-post 0.95
    fi
    echo "2xx/s: answers 200-299 per second, the median of $REQ_ROUNDS rounds (non-2xx: the other answers, e.g. 429,"
    echo "summed over the rounds; ! = socket errors); p99 and CPU µs/req (as in the main table) are medians too."
    echo "Targets of #25: the list with the request log on at least 0.95× of it off; POST event with its Activity"
    echo "row at least 0.9× of the --baseline binary's without one. rounds: each round's own ratio. Each case"
    echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION after a $WARMUP warm-up, every setting on a freshly started server."
    [[ -z "$BASELINE_BIN" ]] || echo "Baseline: $BASELINE_BIN (built $(date -u -r "$BASELINE_BIN" '+%Y-%m-%d %H:%M UTC'))."
}
run_requests() {
    local round order setting name i key
    [[ -z "$BASELINE_BIN" ]] || REQ_SETTINGS+=(baseline)
    REQ_ROUNDS=$(( ROUNDS > 2 ? ROUNDS : 2 ))
    banner "Recent requests and Activity rows (#25): ${REQ_SETTINGS[*]}, $REQ_ROUNDS rounds, a fresh server each"
    for round in $(seq "$REQ_ROUNDS"); do
        order=("${REQ_SETTINGS[@]}")
        if (( round % 2 == 0 )); then
            order=()
            for (( i = ${#REQ_SETTINGS[@]} - 1; i >= 0; i-- )); do order+=("${REQ_SETTINGS[$i]}"); done
        fi
        for setting in "${order[@]}"; do
            requests_server "$setting"
            echo "  ${REQ_SETTING_LABEL[$setting]}: $([[ $setting == baseline ]] && echo "$BASELINE_BIN" || echo kagibag) (pid $SERVER_PID) on $BASE"
            for name in "${REQ_CASES[@]}"; do requests_case "$setting" "$name" "$round"; done
        done
    done
    # Back to this binary as shipped, for whatever runs next.
    requests_server on
    for key in "${!REQ_R_OK[@]}"; do
        REQ_OK[$key]="$(median "${REQ_R_OK[$key]}")"; REQ_P99[$key]="$(median "${REQ_R_P99[$key]}")"
        REQ_SRV[$key]="$(printf '%.0f' "$(median "${REQ_R_SRV[$key]}")")"; REQ_PG[$key]="$(printf '%.0f' "$(median "${REQ_R_PG[$key]}")")"
    done
    banner "Recent requests and Activity rows: results ($([[ $USE_POSTGRES -eq 1 ]] && echo PostgreSQL || echo SQLite))"
    print_requests | tee "$WORK/requests.txt"
}
