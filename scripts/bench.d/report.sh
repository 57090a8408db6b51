# shellcheck shell=bash
# Part of scripts/bench, which sources it at its top level after reading the options:
# the main and the low-load tables, --compare (which reads those tables back from
# saved outputs, older ones too: keep their layout), and the chart.

# --- --compare: two saved outputs (the whole output or results.txt), no run ----------------
# Recomputes every ratio from the req/s and p99 columns, so outputs of older versions of this
# script (without the nodb columns) compare too. A ratio is "worse" when a req/s ratio fell or
# a p99 ratio rose by more than 5%.
results_rows() { # file: label<TAB>req/s<TAB>p99 for each row of the last results table in it
    awk '/^case +req\/s/ { n = 0; delete rows; table = 1; next }
         table && /^rps\/hz/ { table = 0; next }
         table && length($0) > 37 {
             label = substr($0, 1, 37); sub(/ +$/, "", label)
             split(substr($0, 38), f, " ")
             if (f[1] != "failed") rows[++n] = label "\t" f[1] "\t" f[3]
         }
         END { for (i = 1; i <= n; i++) print rows[i] }' "$1"
}
lowload_rows() { # file: label<TAB>p50/nginx<TAB>p99/nginx for each row of the last low-load table in it
    awk '/^one request at a time +req\/s/ { n = 0; delete rows; table = 1; next }
         table && /^p50\/nginx/ { table = 0; next }
         table && length($0) > 40 {
             label = substr($0, 1, 40); sub(/ +$/, "", label)
             split(substr($0, 41), f, " ")
             if (f[1] != "failed") rows[++n] = label "\t" f[4] "\t" f[5]
         }
         END { for (i = 1; i <= n; i++) print rows[i] }' "$1"
}
compare_outputs() {
    for f in "${COMPARE[@]}"; do
        [[ -n "$(results_rows "$f")" ]] || { echo "scripts/bench: no results table in $f" >&2; exit 2; }
    done
    awk -F'\t' -v before="${COMPARE[0]}" -v after="${COMPARE[1]}" '
        FNR == 1 { side++ }
        { label[side, $1] = 1; rps[side, $1] = $2; p99[side, $1] = $3; if (side == 1) order[++n] = $1 }
        function r(a, b) { return (b + 0 == 0 || a == "") ? "" : a / b }
        END {
            hz = "GET /healthz (ceiling; SELECT 1)"; nodb = "GET events, checksum fails"
            printf "before: %s\nafter:  %s\n\n", before, after
            printf "%-37s %-9s %9s %9s %8s\n", "case", "ratio", "before", "after", "change"
            worse = 0
            for (i = 1; i <= n; i++) {
                c = order[i]
                if (!((2, c) in label)) { printf "%-37s (not in the after output)\n", c; continue }
                printf "%-37s %-9s %9.0f %9.0f %+7.1f%%\n", c, "req/s", rps[1, c], rps[2, c], (rps[2, c] / rps[1, c] - 1) * 100
                split("rps/hz p99/hz rps/nodb p99/nodb", names, " ")
                for (k = 1; k <= 4; k++) {
                    ceil = (k <= 2) ? hz : nodb
                    if (c == ceil) continue
                    if (k % 2 == 1) { b = r(rps[1, c], rps[1, ceil]); a = r(rps[2, c], rps[2, ceil]) }
                    else { b = r(p99[1, c], p99[1, ceil]); a = r(p99[2, c], p99[2, ceil]) }
                    if (b == "" || a == "") continue
                    change = (a / b - 1) * 100
                    flag = ((k % 2 == 1 && change < -5) || (k % 2 == 0 && change > 5)) ? "  WORSE by more than 5%" : ""
                    if (flag != "") worse++
                    printf "%-37s %-9s %9.2f %9.2f %+7.1f%%%s\n", "", names[k], b, a, change, flag
                }
            }
            printf "\n%d ratio(s) more than 5%% worse in the after output (req/s ratios lower, p99 ratios higher).\n", worse
        }' <(results_rows "${COMPARE[0]}") <(results_rows "${COMPARE[1]}")
    # The low-load table (outputs from this version on): p50 and p99 as multiples of nginx's.
    if [[ -n "$(lowload_rows "${COMPARE[0]}")" && -n "$(lowload_rows "${COMPARE[1]}")" ]]; then
        awk -F'\t' '
            FNR == 1 { side++ }
            { seen[side, $1] = 1; p50[side, $1] = $2; p99[side, $1] = $3; if (side == 1) order[++n] = $1 }
            END {
                printf "\n%-40s %-9s %9s %9s %8s\n", "one request at a time", "multiple", "before", "after", "change"
                worse = 0
                for (i = 1; i <= n; i++) {
                    c = order[i]
                    if (index(c, "nginx") == 1) continue
                    if (!((2, c) in seen)) { printf "%-40s (not in the after output)\n", c; continue }
                    for (k = 1; k <= 2; k++) {
                        b = (k == 1) ? p50[1, c] : p99[1, c]; a = (k == 1) ? p50[2, c] : p99[2, c]
                        if (b + 0 == 0 || a == "n/a" || b == "n/a") continue
                        change = (a / b - 1) * 100
                        flag = (change > 5) ? "  WORSE by more than 5%" : ""
                        if (flag != "") worse++
                        printf "%-40s %-9s %9.2f %9.2f %+7.1f%%%s\n", (k == 1 ? c : ""), (k == 1 ? "p50/nginx" : "p99/nginx"), b, a, change, flag
                    }
                }
                printf "\n%d low-load multiple(s) more than 5%% worse in the after output.\n", worse
            }' <(lowload_rows "${COMPARE[0]}") <(lowload_rows "${COMPARE[1]}")
    fi
}

# --- 7. results ----------------------------------------------------------------------
# Two ceilings from the same run: GET /healthz (routing, middleware, one SELECT 1 through the
# pool) and the checksum-failing key (the same API middleware, no database at all).
print_results() {
    local header_cpu="srv CPU µs/req" name status cpu
    [[ $USE_POSTGRES -eq 0 ]] || header_cpu="srv+pg CPU µs/req"
    printf '%-37s %9s %8s %8s %7s %7s %8s %8s %7s %18s\n' "case" "req/s" "p50 ms" "p99 ms" \
        "rps/hz" "p99/hz" "rps/nodb" "p99/nodb" "status" "$header_cpu"
    for name in "${NAMES[@]}"; do
        if [[ -z "${RPS[$name]:-}" ]]; then printf '%-37s %9s\n' "${LABEL[$name]}" "failed"; continue; fi
        if [[ "${EXPECT[$name]}" == 200 || "${EXPECT[$name]}" == 201 ]]; then
            status="${EXPECT[$name]}"; [[ "${STATUS_ERRS[$name]}" -eq 0 ]] || status="${EXPECT[$name]}*"
        else
            status="${EXPECT[$name]}"; [[ "${STATUS_ERRS[$name]}" -eq "${REQS[$name]}" ]] || status="${EXPECT[$name]}*"
        fi
        [[ "${LIMITED[$name]:-0}" -eq 0 || "$status" == *"*" ]] || status="$status*"
        [[ "${SOCK_ERRS[$name]}" -eq 0 ]] || status="$status!"
        cpu="${SRV_CPU[$name]}"
        [[ $USE_POSTGRES -eq 0 ]] || cpu="${SRV_CPU[$name]} + ${PG_CPU[$name]}"
        printf '%-37s %9.0f %8.2f %8.2f %7s %7s %8s %8s %7s %18s\n' "${LABEL[$name]}" "${RPS[$name]}" \
            "${P50[$name]}" "${P99[$name]}" \
            "$(ratio "${RPS[$name]}" "${RPS[healthz]:-}")" "$(ratio "${P99[$name]}" "${P99[healthz]:-}")" \
            "$(ratio "${RPS[$name]}" "${RPS[checksum]:-}")" "$(ratio "${P99[$name]}" "${P99[checksum]:-}")" \
            "$status" "$cpu"
    done
    echo "rps/hz, p99/hz: requests per second and p99 latency divided by those of GET /healthz."
    echo "rps/nodb, p99/nodb: the same divided by those of the checksum-failing key (no database work)."
    echo "status: the answer every request got; * = some got another status (a 429 counts as one), ! = socket errors"
    echo "(see wrk's output above)."
    echo "CPU µs/req: the server's (and PostgreSQL's) user+system CPU time during the run divided by requests"
    echo "answered; wrk's own CPU is not included. Both share the machine's $(nproc) cores with wrk."
}
report_results() {
    banner "Results (wrk -t$THREADS -c$CONNECTIONS -d$DURATION$([[ $ROUNDS -eq 1 ]] || echo ", median of $ROUNDS rounds"); ratios against GET /healthz and the DB-free 401)"
    print_results | tee "$WORK/results.txt"
    for name in "${NAMES[@]}"; do
        [[ -z "${RPS[$name]:-}" ]] || figure main "$name" "${LABEL[$name]}" "${RPS[$name]}" "${P50[$name]}" "${P99[$name]}"
    done
}

# --- 7b. low load: its table ----------------------------------------------------------
print_lowload() {
    local name
    # (µ takes two bytes, which printf counts as two columns)
    printf '%-40s %8s %9s %9s %10s %10s %7s  %s\n' "one request at a time" "req/s" "p50 µs" "p99 µs" \
        "p50/nginx" "p99/nginx" "status" "target (p50)"
    for name in "${LOW_NAMES[@]}"; do
        if [[ -z "${M_RPS[low-$name]:-}" ]]; then printf '%-40s %8s\n' "${LOW_LABEL[$name]}" "failed"; continue; fi
        local status=ok
        [[ "$name" != checksum ]] || status=401
        if [[ "$name" == checksum ]]; then
            [[ "${M_STATUS[low-$name]}" -eq "${M_REQS[low-$name]}" ]] || status="401*"
        else
            [[ "${M_STATUS[low-$name]}" -eq 0 ]] || status="200*"; [[ "$status" != ok ]] || status=200
        fi
        [[ "${M_SOCK[low-$name]}" -eq 0 ]] || status="$status!"
        printf '%-40s %8.0f %8.0f %8.0f %10s %10s %7s  %s\n' "${LOW_LABEL[$name]}" "${M_RPS[low-$name]}" \
            "$(awk -v v="${M_P50[low-$name]}" 'BEGIN { print v * 1000 }')" "$(awk -v v="${M_P99[low-$name]}" 'BEGIN { print v * 1000 }')" \
            "$(ratio "${M_P50[low-$name]}" "${M_P50[low-nginx]:-}")" "$(ratio "${M_P99[low-$name]}" "${M_P99[low-nginx]:-}")" \
            "$status" "${LOW_TARGET[$name]:-}"
    done
    echo "p50/nginx, p99/nginx: the latency divided by nginx's in this run (targets of #16 on the p50: the"
    echo "DB-free 401 at most 3×, the authenticated list at most 6×). wrk -t1 -c1 -d$DURATION after a $WARMUP warm-up each."
}

# --- 11. chart ---------------------------------------------------------------------------
draw_chart() {
    if [[ -n "$SVG_PATH" ]]; then SVG="$SVG_PATH"
    elif [[ $KEEP -eq 1 ]]; then SVG="$WORK/bench.svg"
    else SVG="/tmp/kagibag-bench-$(date -u +%Y%m%d-%H%M%S).svg"; fi
    figure meta title "scripts/bench $(git rev-parse --short HEAD 2>/dev/null || echo unknown), $([[ $USE_POSTGRES -eq 1 ]] && echo PostgreSQL || echo SQLite), $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
    figure meta settings "wrk -t$THREADS -c$CONNECTIONS -d$DURATION (low load: -t1 -c1)"
    banner "Chart"
    if python3 "$ROOT/scripts/bench.d/chart.py" "$WORK/figures.tsv" "$SVG"; then
        echo "SVG chart: $SVG"
    else
        echo "(the chart could not be drawn; figures in $WORK/figures.tsv)"
    fi
}
