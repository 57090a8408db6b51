# shellcheck shell=bash
# Part of scripts/bench, which sources it at its top level after reading the options:
# the server's /metrics: snapshots, sums of samples, and the printout of what the
# server counted.

metrics_snapshot() { curl -fsS --max-time 10 "$BASE/metrics" >"$1" || fail "GET /metrics failed"; }
# Sum of the samples of metric $2 in snapshot $1 whose labels include every further
# argument (each written as name="value").
metric() {
    local file="$1" name="$2"; shift 2
    awk -v name="$name" -v want="$*" '
        BEGIN { n = split(want, labels, " ") }
        /^#/ { next }
        {
            series = $1
            base = series; sub(/\{.*/, "", base)
            if (base != name) next
            for (i = 1; i <= n; i++) if (index(series, labels[i]) == 0) next
            sum += $NF
        }
        END { printf "%d\n", sum }' "$file"
}

# Every value label $3 takes in metric $2 of snapshot $1, e.g. each outcome.
label_values() {
    sed -n "s/^$2{.*$3=\"\([^\"]*\)\".*/\1/p" "$1" | sort -u
}
LIST_ROUTE='route="/api/v1/organizer/events"'
list_requests() { metric "$1" kagibag_http_requests_total "$LIST_ROUTE" 'method="GET"' 'status="200"'; }

print_server_metrics() {
    metrics_snapshot "$WORK/m-end.txt"
    banner "Server metrics (GET /metrics)"
    echo "API key authentications by outcome (total since start):"
    for outcome in $(label_values "$WORK/m-end.txt" kagibag_api_authentications_total outcome); do
        printf '    %-14s %12d\n' "$outcome" "$(metric "$WORK/m-end.txt" kagibag_api_authentications_total "outcome=\"$outcome\"")"
    done
    if [[ -f "$WORK/m-before-list.txt" && -f "$WORK/m-after-list.txt" ]]; then
        B="$WORK/m-before-list.txt"; A="$WORK/m-after-list.txt"
        accepted=$(( $(metric "$A" kagibag_api_authentications_total 'outcome="accepted"') - $(metric "$B" kagibag_api_authentications_total 'outcome="accepted"') ))
        echo "During the authenticated-list run$([[ $ROUNDS -eq 1 ]] || echo " of round 1") ($accepted accepted authentications):"
        writes=0
        for purpose in $(label_values "$A" kagibag_db_queries_total purpose); do
            r=$(( $(metric "$A" kagibag_db_queries_total 'kind="read"' "purpose=\"$purpose\"") - $(metric "$B" kagibag_db_queries_total 'kind="read"' "purpose=\"$purpose\"") ))
            w=$(( $(metric "$A" kagibag_db_queries_total 'kind="write"' "purpose=\"$purpose\"") - $(metric "$B" kagibag_db_queries_total 'kind="write"' "purpose=\"$purpose\"") ))
            writes=$(( writes + w ))
            printf '    db statements, purpose %-10s reads %10d   writes %6d\n' "$purpose" "$r" "$w"
        done
        batches=$(( $(metric "$A" kagibag_last_used_flush_batches_total) - $(metric "$B" kagibag_last_used_flush_batches_total) ))
        printf '    last-used flush batches %d; database writes per authenticated request %s\n' "$batches" \
            "$(awk -v w="$writes" -v n="$accepted" 'BEGIN { printf (n > 0 ? "%.6f" : "n/a"), (n > 0 ? w / n : 0) }')"
    fi
    echo "Last-used flushes (total since start): $(metric "$WORK/m-end.txt" kagibag_last_used_flush_batches_total) batches," \
        "$(metric "$WORK/m-end.txt" kagibag_last_used_flush_rows_total) rows"
    echo "Database statements (total since start, Kagibag's own code paths):"
    for kind in read write; do
        for purpose in $(label_values "$WORK/m-end.txt" kagibag_db_queries_total purpose); do
            printf '    %-6s %-10s %12d\n' "$kind" "$purpose" "$(metric "$WORK/m-end.txt" kagibag_db_queries_total "kind=\"$kind\"" "purpose=\"$purpose\"")"
        done
    done
}
