# shellcheck shell=bash
# Part of scripts/bench, which sources it at its top level after reading the options:
# the machine and its settings, the six cases of the main table (with --rounds N,
# N times in turn) and the low-load cases.

print_machine() {
    CPU_MODEL="$(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)"
    [[ -n "$CPU_MODEL" ]] || CPU_MODEL="$(sed -n 's/^model name[[:space:]]*: *//p' /proc/cpuinfo | head -n 1)"
    if [[ $USE_POSTGRES -eq 1 ]]; then
        DB_TEXT="PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }') (throwaway, default settings, same machine)"
        POOL_TEXT="${KAGIBAG_DB_POOL_SIZE:-4} connections per event loop × $(nproc) event loops"
    else
        DB_TEXT="SQLite file in $WORK"
        POOL_TEXT="1 connection per event loop × $(nproc) event loops (fixed for SQLite)"
    fi
    banner "Machine and settings"
    printf '%-22s %s\n' \
        "cores (nproc)" "$(nproc)" \
        "CPU model" "$CPU_MODEL" \
        "memory" "$(awk '/^MemTotal:/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo)" \
        "kernel" "$(uname -sr)" \
        "load average (1/5/15)" "$(cut -d' ' -f1-3 /proc/loadavg) (before the runs; other work may share the cores)" \
        "source tree" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD -- Sources Package.swift 2>/dev/null || echo ' + uncommitted changes')$([[ $SKIP_BUILD -eq 0 ]] || echo ' (--skip-build: binary not necessarily built from it)')" \
        "binary built" "$(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC')" \
        "server" "$BIN serve --env production, $BASE" \
        "database" "$DB_TEXT" \
        "database pool" "$POOL_TEXT" \
        "last-used flush" "every ${KAGIBAG_LAST_USED_FLUSH_SECONDS:-15} s" \
        "bcrypt cost" "$KAGIBAG_BCRYPT_COST (setup speed only; no request below hashes a password)" \
        "API rate limit" "$KAGIBAG_API_RATE_LIMIT per key per minute (limiter on, never trips)" \
        "key-failure limit" "$KAGIBAG_KEY_FAILURES_PER_MINUTE failed lookups per address per minute (on, never trips in a run)" \
        "wrk" "-t$THREADS -c$CONNECTIONS -d$DURATION after a $WARMUP warm-up per case, on the same machine" \
        "rounds" "$ROUNDS (each case's median is reported)"
}

NAMES=(healthz list keyinfo unknown checksum post)
declare -A LABEL=(
    [healthz]="GET /healthz (ceiling; SELECT 1)"
    [list]="GET events, valid key"
    [keyinfo]="GET key info, valid key (auth only)"
    [unknown]="GET events, unknown key"
    [checksum]="GET events, checksum fails"
    [post]="POST events, valid key"
)
declare -A EXPECT=([healthz]=200 [list]=200 [keyinfo]=200 [unknown]=401 [checksum]=401 [post]=201)
declare -A RPS P50 P99 REQS STATUS_ERRS SOCK_ERRS SRV_CPU PG_CPU LIMITED
# With --rounds N, each figure of a case is the median of its N rounds (R_* hold the rounds'
# figures, space-separated; each column's median on its own); error counts are summed over the
# rounds. From round 2 on, the list reads the first page of a team grown by the earlier rounds'
# POSTs (the page is still the 25 seeded events, first by id, read by index; it then also
# carries a next_cursor. The rounds' figures show no drift).
declare -A R_RPS R_P50 R_P99 R_SRV R_PG
get() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit; print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
run_main_cases() {
    for round in $(seq "$ROUNDS"); do
    for name in "${NAMES[@]}"; do
        suffix=""; [[ $round -eq 1 ]] || suffix="-r$round"   # round 1's files keep the plain names
        if [[ $ROUNDS -eq 1 ]]; then banner "${LABEL[$name]}"; else banner "${LABEL[$name]} (round $round of $ROUNDS)"; fi
        args=()
        case "$name" in
            healthz) args=("$BASE/healthz") ;;
            list) args=(-H "Authorization: Bearer $KEY" "$EVENTS_URL") ;;
            keyinfo) args=(-H "Authorization: Bearer $KEY" "$BASE/api/v1/organizer/key") ;;
            unknown) args=(-H "Authorization: Bearer $UNKNOWN_KEY" "$EVENTS_URL") ;;
            checksum) args=(-H "Authorization: Bearer $BAD_KEY" "$EVENTS_URL") ;;
            post) args=(-H "Authorization: Bearer $KEY" "$EVENTS_URL") ;;
        esac
        method=""; body=""
        if [[ "$name" == post ]]; then method=POST; body="$EVENT_BODY"; fi
        if [[ "$WARMUP" != 0 && "$WARMUP" != 0s ]]; then
            BENCH_METHOD="$method" BENCH_BODY="$body" run_wrk "$WORK/warmup-$name$suffix.txt" "$WARMUP" "${args[@]}" || true
        fi
        metrics_snapshot "$WORK/m-before-$name$suffix.txt"
        pg_pids=()
        [[ $USE_POSTGRES -eq 0 ]] || mapfile -t pg_pids < <(postgres_pids)
        cpu0="$(cpu_ticks "$SERVER_PID")"; pgcpu0="$(cpu_ticks "${pg_pids[@]}")"
        rc=0
        BENCH_METHOD="$method" BENCH_BODY="$body" run_wrk "$WORK/wrk-$name$suffix.txt" "$DURATION" "${args[@]}" || rc=$?
        cpu1="$(cpu_ticks "$SERVER_PID")"; pgcpu1="$(cpu_ticks "${pg_pids[@]}")"
        metrics_snapshot "$WORK/m-after-$name$suffix.txt"
        sed 's/^/    /' "$WORK/wrk-$name$suffix.txt"
        line="$(grep '^BENCH ' "$WORK/wrk-$name$suffix.txt" || true)"
        if [[ $rc -ne 0 || -z "$line" ]]; then
            echo "    (wrk failed; no figures for this case)"
            continue
        fi
        R_RPS[$name]+=" $(get rps)"; R_P50[$name]+=" $(get p50)"; R_P99[$name]+=" $(get p99)"
        REQS[$name]=$(( ${REQS[$name]:-0} + $(get requests) ))
        STATUS_ERRS[$name]=$(( ${STATUS_ERRS[$name]:-0} + $(get status_errors) ))
        SOCK_ERRS[$name]=$(( ${SOCK_ERRS[$name]:-0} + $(get socket_errors) ))
        # CPU per request answered by the server (its own counter, which includes requests still
        # in flight when wrk stopped counting).
        case "$name" in
            healthz) sel=('route="/healthz"') ;;
            keyinfo) sel=('route="/api/v1/organizer/key"') ;;
            *) sel=("$LIST_ROUTE" "method=\"${method:-GET}\"") ;;
        esac
        served=$(( $(metric "$WORK/m-after-$name$suffix.txt" kagibag_http_requests_total "${sel[@]}") - $(metric "$WORK/m-before-$name$suffix.txt" kagibag_http_requests_total "${sel[@]}") ))
        LIMITED[$name]=$(( ${LIMITED[$name]:-0} + $(metric "$WORK/m-after-$name$suffix.txt" kagibag_http_requests_total 'status="429"') - $(metric "$WORK/m-before-$name$suffix.txt" kagibag_http_requests_total 'status="429"') ))
        R_SRV[$name]+=" $(awk -v t=$(( cpu1 - cpu0 )) -v hz="$TICKS" -v n="$served" 'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')"
        R_PG[$name]+=" $(awk -v t=$(( pgcpu1 - pgcpu0 )) -v hz="$TICKS" -v n="$served" 'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')"
    done
    done
    for name in "${NAMES[@]}"; do
        [[ -n "${R_RPS[$name]:-}" ]] || continue
        RPS[$name]="$(median "${R_RPS[$name]}")"; P50[$name]="$(median "${R_P50[$name]}")"; P99[$name]="$(median "${R_P99[$name]}")"
        SRV_CPU[$name]="$(printf '%.0f' "$(median "${R_SRV[$name]}")")"; PG_CPU[$name]="$(printf '%.0f' "$(median "${R_PG[$name]}")")"
    done
}

# --- 7b. low load: one request at a time, against nginx on the same machine ----------
# (nginx: start_nginx in server.sh; the table: print_lowload in report.sh)
LOW_NAMES=(nginx checksum healthz keyinfo list)
declare -A LOW_LABEL=(
    [nginx]="nginx, fixed 2-byte answer (floor)"
    [checksum]="GET events, checksum fails (401, no DB)"
    [healthz]="GET /healthz (SELECT 1)"
    [keyinfo]="GET key info, valid key (auth only)"
    [list]="GET events, valid key (25 events)"
    [pretix]="pretix: GET events, team token (25)"
)
declare -A LOW_TARGET=([checksum]="≤ 3×" [list]="≤ 6×")
run_low_load() {
    NGINX_BIN="$(command -v nginx || echo /usr/sbin/nginx)"
    banner "Low load: one request at a time (wrk -t1 -c1 -d$DURATION), against nginx on this machine"
    start_nginx
    echo "nginx $("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: nginx\///') (pid $NGINX_PID) on 127.0.0.1:$NGINX_PORT, 1 worker, return 200 \"ok\""
    [[ -z "$PEER" ]] || LOW_NAMES+=(pretix)
    for name in "${LOW_NAMES[@]}"; do
        echo "  ${LOW_LABEL[$name]}"
        case "$name" in
            nginx) measure low-nginx 1 1 "http://127.0.0.1:$NGINX_PORT/" ;;
            checksum) measure low-checksum 1 1 -H "Authorization: Bearer $BAD_KEY" "$EVENTS_URL" ;;
            healthz) measure low-healthz 1 1 "$BASE/healthz" ;;
            keyinfo) measure low-keyinfo 1 1 -H "Authorization: Bearer $KEY" "$BASE/api/v1/organizer/key" ;;
            list) measure low-list 1 1 -H "Authorization: Bearer $KEY" "$EVENTS_URL" ;;
            pretix) BENCH_TIMEOUT=30s BENCH_DRAIN=1 measure low-pretix 1 1 -H "Authorization: Token $PRETIX_TOKEN" "$PRETIX_URL" ;;
        esac
    done
    stop_nginx
    banner "Low-load results (p50 and p99 as multiples of nginx's in this run)"
    print_lowload | tee "$WORK/lowload.txt"
    for name in "${LOW_NAMES[@]}"; do
        [[ -z "${M_RPS[low-$name]:-}" ]] || figure low "$name" "${LOW_LABEL[$name]}" "${M_RPS[low-$name]}" "${M_P50[low-$name]}" "${M_P99[low-$name]}"
    done
}
