# shellcheck shell=bash
# Part of scripts/bench, which sources it at its top level after reading the options:
# --webhooks (issue #26): what subscribed webhook endpoints cost POST event, and how fast the
# outbox delivers what that POST burst queued.

# --- 9c. webhooks ------------------------------------------------------------------------------
# The same data throughout (the run's database, team, key and events); only the server process
# and the team's endpoints change, the server stopped and started afresh for each setting:
#   none   the team has no webhook endpoint (POST event's INSERT … SELECT inserts nothing)
#   three  3 endpoints subscribed to every type, added through the web form as an admin would, all
#          pointing at one throwaway nginx answering 204 at once (the receiver costs next to
#          nothing, so what is measured is Kagibag's side: the outbox rows, the worker's claims,
#          the signed POSTs and the bookkeeping of each attempt)
# Before each setting, with the server stopped, the webhook tables are emptied: every setting
# starts from an empty outbox, and what a capped wait left pending is not delivered during the
# next measurement. Both settings run with KAGIBAG_WEBHOOK_ALLOW_HTTP and _ALLOW_PRIVATE (a
# receiver on 127.0.0.1 over http) and a poll of 0.1 s, so the worker polls alike in both.
# POST event runs as in --requests (requests_case: a warm-up, then the measured wrk run; only
# 2xx count); the settings alternate, the order reversed every other round. With endpoints the
# worker delivers while wrk runs: its CPU and its database writes are part of what POST event
# costs then, which is the point.
# After each three-endpoint run the same server goes on delivering until nothing is pending
# (at most WH_CAP seconds, said when hit); the messages' own timestamps give the throughput
# (delivered / (last delivered_at − first created_at), warm-up and measured run alike) and the
# end-to-end latency (delivered_at − created_at: how long a message sat in the outbox, its
# delivery included).
WH_SETTINGS=(none three)
WH_CAP=120
WH_ENDPOINTS=3
WH_POLL=${WH_POLL:-0.1}  # WH_POLL=60: no delivery during the runs (the writes alone)
REQ_SETTING_LABEL[wh-none]="no webhook endpoint"
REQ_SETTING_LABEL[wh-three]="$WH_ENDPOINTS endpoints subscribed"
WH_DELIVERY=()   # one printed row per round

# wh_sql SQL: the run's database (sqlite3 on the file, psql on the throwaway cluster); rows
# tab-separated, no header.
wh_sql() {
    if [[ $USE_POSTGRES -eq 1 ]]; then
        psql -X -q -At -F $'\t' -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "$1"
    else
        sqlite3 -batch -separator $'\t' -cmd '.timeout 10000' "$KAGIBAG_SQLITE_PATH" "$1"
    fi
}
# A timestamp column as seconds since 1970 (SQLite stores Dates that way already).
wh_epoch() { if [[ $USE_POSTGRES -eq 1 ]]; then echo "extract(epoch from $1)"; else echo "$1"; fi; }
wh_pending() { wh_sql "SELECT count(*) FROM webhook_messages WHERE state = 'pending'"; }
wh_delivered() { wh_sql "SELECT count(*) FROM webhook_messages WHERE state = 'delivered'"; }

# The receiver: a throwaway nginx like the low-load one (server.sh; its pid in NGINX_PID, so
# cleanup stops it), answering 204 to anything, with an access log: the POSTs it got, to
# set beside the deliveries Kagibag recorded (more would be a message delivered twice).
start_receiver() {
    NGINX_BIN="$(command -v nginx || echo /usr/sbin/nginx)"
    # shellcheck disable=SC2016
    run_nginx "$WORK/receiver" "log_format hook '\$request_method \$uri \$status';
    access_log $WORK/receiver/logs/access.log hook;" 'location / { return 204; }' answers_204 \
        || fail "the webhook receiver (nginx) did not start"
    RECEIVER_PORT=$NGINX_PORT
}
answers_204() {
    [[ "$(curl -sS -o /dev/null -w '%{http_code}' --max-time 2 -d probe "http://127.0.0.1:$1/probe" 2>/dev/null)" == 204 ]]
}
receiver_posts() { grep -c '^POST /hooks/' "$WORK/receiver/logs/access.log" || true; }

# add_endpoint URL: Admin › Team › Webhooks › Add endpoint, every type, with the sign-up's session.
add_endpoint() {
    local page csrf code
    page="$(web -f "$BASE/admin/team/webhooks/new")" || fail "GET /admin/team/webhooks/new failed"
    csrf="$(field _csrf <<<"$page")"
    [[ -n "$csrf" ]] || fail "no _csrf field on the new-endpoint form"
    code="$(web -o "$WORK/webhook.html" -w '%{http_code}' --data-urlencode "url=$1" --data-urlencode "all_types=on" \
        --data-urlencode "_csrf=$csrf" "$BASE/admin/team/webhooks")" || fail "POST /admin/team/webhooks failed"
    [[ "$code" == 201 ]] || fail "POST /admin/team/webhooks answered $code, expected 201"
}

# webhooks_server SETTING: empties the webhook tables (server stopped), starts a fresh server,
# and for three adds the endpoints.
webhooks_server() {
    local i
    stop_server
    if [[ $USE_POSTGRES -eq 1 ]]; then
        wh_sql "TRUNCATE webhook_attempts, webhook_messages, webhook_endpoints" >/dev/null
    else
        wh_sql "DELETE FROM webhook_attempts; DELETE FROM webhook_messages; DELETE FROM webhook_endpoints;" >/dev/null
    fi || fail "could not empty the webhook tables"
    KAGIBAG_WEBHOOK_ALLOW_HTTP=true KAGIBAG_WEBHOOK_ALLOW_PRIVATE=true KAGIBAG_WEBHOOK_POLL_SECONDS=$WH_POLL start_server
    EVENTS_URL="$BASE/api/v1/organizer/events"
    expect_status 200 "$KEY" "$EVENTS_URL"
    [[ "$1" == three ]] || return 0
    for i in $(seq "$WH_ENDPOINTS"); do add_endpoint "http://127.0.0.1:$RECEIVER_PORT/hooks/$i"; done
    [[ "$(wh_sql "SELECT count(*) FROM webhook_endpoints WHERE paused_at IS NULL")" -eq "$WH_ENDPOINTS" ]] \
        || fail "expected $WH_ENDPOINTS active webhook endpoints"
}

# webhooks_drain ROUND RECEIVED_BEFORE: waits (same server) until nothing is pending or WH_CAP
# seconds have passed, stops the server, then records the round's delivery figures as a row of
# the delivery table.
webhooks_drain() {
    local round="$1" received0="$2" t0=$SECONDS pending capped="" pg_pids=() cpu0 cpu1 pg0 pg1 d0 d1 row
    local total delivered failed first last rate p50 p99 cpu waited retried
    [[ $USE_POSTGRES -eq 0 ]] || mapfile -t pg_pids < <(postgres_pids)
    cpu0="$(cpu_ticks "$SERVER_PID")"; pg0="$(cpu_ticks "${pg_pids[@]}")"; d0="$(wh_delivered)"
    while :; do
        pending="$(wh_pending)"
        (( pending > 0 )) || break
        if (( SECONDS - t0 >= WH_CAP )); then capped="!"; break; fi
        sleep 0.5
    done
    waited=$(( SECONDS - t0 ))
    cpu1="$(cpu_ticks "$SERVER_PID")"; pg1="$(cpu_ticks "${pg_pids[@]}")"; d1="$(wh_delivered)"
    # Stopped before the figures are read: after a capped wait the lanes are still sending, and the
    # receiver's count and the outbox's agree only once they stop (shutdown cancels the POST each
    # lane has in flight, which is recorded as a failed attempt, and waits for that bookkeeping).
    stop_server
    row="$(wh_sql "SELECT count(*), sum(CASE WHEN state = 'delivered' THEN 1 ELSE 0 END),
        sum(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), sum(CASE WHEN state = 'pending' THEN 1 ELSE 0 END),
        min($(wh_epoch created_at)), max($(wh_epoch delivered_at)) FROM webhook_messages")"
    IFS=$'\t' read -r total delivered failed pending first last <<<"$row"
    rate="$(awk -v n="${delivered:-0}" -v a="$first" -v b="$last" 'BEGIN { printf "%.0f", (b > a ? n / (b - a) : 0) }')"
    # End-to-end latency of every delivered message (ms), nearest rank.
    read -r p50 p99 < <(wh_sql "SELECT ($(wh_epoch delivered_at) - $(wh_epoch created_at)) * 1000 FROM webhook_messages
        WHERE state = 'delivered'" | sort -g | awk '{ v[NR] = $1 }
        END { if (NR == 0) { print "n/a n/a"; exit }
              i = int(NR * 0.5 + 0.999999); j = int(NR * 0.99 + 0.999999); printf "%.0f %.0f\n", v[i], v[j] }')
    # Server (and PostgreSQL) CPU per message delivered while wrk was no longer running.
    cpu="$(awk -v t=$(( cpu1 - cpu0 )) -v hz="$TICKS" -v n=$(( d1 - d0 )) 'BEGIN { printf (n > 0 ? "%.0f" : "n/a"), (n > 0 ? t / hz * 1e6 / n : 0) }')"
    [[ $USE_POSTGRES -eq 0 || "$cpu" == n/a ]] \
        || cpu+=" + $(awk -v t=$(( pg1 - pg0 )) -v hz="$TICKS" -v n=$(( d1 - d0 )) 'BEGIN { printf "%.0f", t / hz * 1e6 / n }')"
    # Attempts that did not get a 2xx (the receiver always answers 204: each one is Kagibag's own).
    retried="$(wh_sql "SELECT count(*) FROM webhook_attempts WHERE status IS NULL OR status NOT BETWEEN 200 AND 299")"
    WH_DELIVERY+=("$(printf '%-10s %9s %9s %7s %8s %7s %8s %8s %8s %17s %9s %7s' "round $round" "$total" "$delivered" "$failed" \
        "$pending" "$rate" "$p50" "$p99" "$waited$capped" "$cpu" "$(( $(receiver_posts) - received0 ))" "$retried")")
    echo "    outbox: $total messages, $delivered delivered, $failed failed, $pending pending after $waited s of waiting$([[ -z $capped ]] || echo " (the ${WH_CAP} s cap was hit)"); $retried attempt(s) without a 2xx;" \
        "an attempt's POST took $(wh_sql "SELECT round(CAST(avg(latency_ms) AS numeric), 2) FROM webhook_attempts") ms on average"
    [[ "$retried" -eq 0 ]] || wh_sql "SELECT count(*), coalesce(status, 0), coalesce(error, '') FROM webhook_attempts
        WHERE status IS NULL OR status NOT BETWEEN 200 AND 299 GROUP BY 2, 3 ORDER BY 1 DESC LIMIT 5" | sed 's/^/      /'
}

print_webhooks() {
    local setting key status header_cpu="srv CPU µs/req"
    [[ $USE_POSTGRES -eq 0 ]] || header_cpu="srv+pg CPU µs/req"
    printf '%-55s %9s %8s %9s %18s\n' "same data, server restarted per setting" "2xx/s" "p99 ms" "non-2xx" "$header_cpu"
    for setting in "${WH_SETTINGS[@]}"; do
        key="wh-$setting-post"
        if [[ -z "${REQ_OK[$key]:-}" ]]; then printf '%-55s %9s\n' "POST event, ${REQ_SETTING_LABEL[wh-$setting]}" failed; continue; fi
        status="${REQ_NON2XX[$key]}"; [[ "${REQ_SOCK[$key]}" -eq 0 ]] || status="$status!"
        printf '%-55s %9.0f %8.2f %9s %18s\n' "POST event, ${REQ_SETTING_LABEL[wh-$setting]}" \
            "${REQ_OK[$key]}" "${REQ_P99[$key]}" "$status" "$(requests_cpu "$key")"
    done
    requests_ratio_line "POST event: $WH_ENDPOINTS endpoints / none" wh-three-post wh-none-post 0.8
    echo "2xx/s: answers 200-299 per second, the median of $WH_ROUNDS rounds (non-2xx summed over them; ! = socket"
    echo "errors); p99 and CPU µs/req are medians too (with endpoints the CPU includes the worker delivering"
    echo "meanwhile). Target of #26: POST event with $WH_ENDPOINTS endpoints subscribed at least 0.8× of it with none."
    echo "Each case wrk -t$THREADS -c$CONNECTIONS -d$DURATION after a $WARMUP warm-up; every setting a freshly started server,"
    echo "the webhook tables emptied before it; poll every $WH_POLL s; receiver: nginx answering 204."
    echo
    printf '%-10s %9s %9s %7s %8s %7s %8s %8s %8s %17s %9s %7s\n' "delivery" "messages" "delivered" "failed" "pending" "msg/s" \
        "p50 ms" "p99 ms" "waited s" "$([[ $USE_POSTGRES -eq 0 ]] && echo "CPU µs/msg" || echo "srv+pg CPU µs/msg")" "received" "retried"
    printf '%s\n' "${WH_DELIVERY[@]}"
    echo "After each $WH_ENDPOINTS-endpoint run (its warm-up's and measured run's POSTs, one message per endpoint"
    echo "each), the same server delivering until nothing was pending (waited s: after wrk ended; ! = the"
    echo "$WH_CAP s cap was hit, pending left undelivered). msg/s: delivered / (last delivered_at − first"
    echo "created_at); p50/p99: delivered_at − created_at over the delivered messages; CPU µs/msg: over the"
    echo "messages delivered while waiting; received: POSTs the receiver logged (more than delivered = duplicates);"
    echo "retried: attempts without a 2xx (the receiver always answers 204: any is Kagibag's own failure; after"
    echo "a capped wait, up to one per endpoint is the shutdown cancelling the POST in flight)."
}

run_webhooks() {
    local round order setting i key received0 log0
    [[ $USE_POSTGRES -eq 1 ]] || command -v sqlite3 >/dev/null 2>&1 || apt_install sqlite3 || fail "could not install sqlite3"
    WH_ROUNDS=$(( ROUNDS > 2 ? ROUNDS : 2 ))
    banner "Webhooks (#26): POST event with none and with $WH_ENDPOINTS endpoints, $WH_ROUNDS rounds, a fresh server each"
    start_receiver
    echo "receiver: nginx (pid $NGINX_PID) on 127.0.0.1:$RECEIVER_PORT, return 204"
    log0="$(wc -c <"$WORK/server.log")"
    for round in $(seq "$WH_ROUNDS"); do
        order=("${WH_SETTINGS[@]}")
        if (( round % 2 == 0 )); then
            order=()
            for (( i = ${#WH_SETTINGS[@]} - 1; i >= 0; i-- )); do order+=("${WH_SETTINGS[$i]}"); done
        fi
        for setting in "${order[@]}"; do
            webhooks_server "$setting"
            echo "  ${REQ_SETTING_LABEL[wh-$setting]}: kagibag (pid $SERVER_PID) on $BASE"
            received0="$(receiver_posts)"
            requests_case "wh-$setting" post "$round"
            [[ "$setting" != three ]] || webhooks_drain "$round" "$received0"
        done
    done
    # Back to no endpoints and an empty outbox, for whatever runs next.
    webhooks_server none
    stop_nginx
    for key in wh-none-post wh-three-post; do
        [[ -n "${REQ_R_OK[$key]:-}" ]] || continue
        REQ_OK[$key]="$(median "${REQ_R_OK[$key]}")"; REQ_P99[$key]="$(median "${REQ_R_P99[$key]}")"
        REQ_SRV[$key]="$(printf '%.0f' "$(median "${REQ_R_SRV[$key]}")")"; REQ_PG[$key]="$(printf '%.0f' "$(median "${REQ_R_PG[$key]}")")"
    done
    banner "Webhooks: results ($([[ $USE_POSTGRES -eq 1 ]] && echo PostgreSQL || echo SQLite))"
    {
        print_webhooks
        # What the server logged meanwhile beyond its start-up lines: a failed claim or bookkeeping shows here.
        i="$(tail -c +"$(( log0 + 1 ))" "$WORK/server.log" | grep -ciE 'warning|error|critical' || true)"
        echo "server log during --webhooks: $i line(s) with a warning or an error$([[ $i -eq 0 ]] || echo " (see server.log with --keep)")"
    } | tee "$WORK/webhooks.txt"
}
