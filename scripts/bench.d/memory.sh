# shellcheck shell=bash
# Part of scripts/bench, which sources it at its top level after reading the options:
# the server's resident memory after the first 10,000 authenticated requests, at
# the end, and with --memory after 1,000,000 (--memory-requests N).

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
    if [[ $MEMORY -eq 1 ]]; then
        start=$SECONDS
        budget_run $(( MILLION - LIST_NOW )) 1
        metrics_snapshot "$WORK/m-mem.txt"
        LIST_NOW="$(list_requests "$WORK/m-mem.txt")"
        echo "    ($(( SECONDS - start )) s)"
        RSS_MILLION="$(rss_kb)"
        B="$WORK/m-end.txt"; A="$WORK/m-mem.txt"
        accepted=$(( $(metric "$A" kagibag_api_authentications_total 'outcome="accepted"') - $(metric "$B" kagibag_api_authentications_total 'outcome="accepted"') ))
        printf '    during this phase: %d accepted authentications; database writes:' "$accepted"
        for purpose in $(label_values "$A" kagibag_db_queries_total purpose); do
            printf ' %s %d' "$purpose" $(( $(metric "$A" kagibag_db_queries_total 'kind="write"' "purpose=\"$purpose\"") - $(metric "$B" kagibag_db_queries_total 'kind="write"' "purpose=\"$purpose\"") ))
        done
        printf '; last-used flush batches %d\n' $(( $(metric "$A" kagibag_last_used_flush_batches_total) - $(metric "$B" kagibag_last_used_flush_batches_total) ))
        printf '    after %10d authenticated list requests  %s (×%s of the first)\n' "$LIST_NOW" "$(mb "$RSS_MILLION")" \
            "$(ratio "$RSS_MILLION" "$RSS_FIRST")"
    else
        echo "    (run with --memory for the figure after $MILLION authenticated requests)"
    fi
    printf '    peak (VmHWM)                                 %s\n' "$(mb "$(hwm_kb)")"
}
