# shellcheck shell=bash
# Part of scripts/bench, which sources it at its top level after reading the options:
# --peer pretix: pretix, set up by bench.d/pretix.sh and started before anything is
# measured, then measured beside ours.

# --- 5b. the peer: pretix, prepared before any measurement (its setup is CPU-heavy) ------
PRETIX_URL=""
PRETIX_TOKEN=""
start_peer() {
    banner "Peer: pretix (scripts/bench.d/pretix.sh; gunicorn, 2 sync workers, SQLite)"
    mkdir -p "$WORK/pretix"
    BENCH_DESCRIPTION="$DESCRIPTION" BENCH_VENUE="$VENUE" "$ROOT/scripts/bench.d/pretix.sh" "$WORK/pretix" \
        >"$WORK/pretix/setup.txt" 2>"$WORK/pretix/setup.log" \
        || { tail -n 30 "$WORK/pretix/setup.log" >&2; fail "pretix setup failed"; }
    PRETIX_VENV="$(sed -n 's/^venv=//p' "$WORK/pretix/setup.txt")"
    PRETIX_TOKEN="$(sed -n 's/^token=//p' "$WORK/pretix/setup.txt")"
    PRETIX_CONFIG="$(sed -n 's/^config=//p' "$WORK/pretix/setup.txt")"
    PRETIX_VERSION="$(sed -n 's/^version=//p' "$WORK/pretix/setup.txt")"
    gunicorn_args=(--workers 2 --worker-class sync --timeout 60 --access-logfile /dev/null --error-logfile "$WORK/pretix/gunicorn.log")
    # gunicorn >= 27 opens a control socket under ~/.gunicorn by default; keep it off
    ! "$PRETIX_VENV/bin/gunicorn" --help 2>/dev/null | grep -q -- --no-control-socket || gunicorn_args+=(--no-control-socket)
    started=0
    for _ in 1 2 3; do
        PRETIX_PORT="$(free_port)" || fail "no free port"
        ( cd "$WORK/pretix" && PRETIX_CONFIG_FILE="$PRETIX_CONFIG" DJANGO_SETTINGS_MODULE=pretix.settings \
            exec "$PRETIX_VENV/bin/gunicorn" pretix.wsgi "${gunicorn_args[@]}" --bind "127.0.0.1:$PRETIX_PORT" ) \
            >"$WORK/pretix/gunicorn.out" 2>&1 &
        PRETIX_PID=$!
        PRETIX_URL="http://127.0.0.1:$PRETIX_PORT/api/v1/organizers/acme/events/"
        for i in $(seq 300); do
            kill -0 "$PRETIX_PID" 2>/dev/null || break
            if curl -fsS --max-time 10 -o "$WORK/pretix/list.json" -H "Authorization: Token $PRETIX_TOKEN" "$PRETIX_URL" 2>/dev/null; then
                started=1; break
            fi
            sleep 0.2
        done
        [[ $started -eq 1 ]] && break
        stop_pretix
    done
    [[ $started -eq 1 ]] || { tail -n 30 "$WORK/pretix/gunicorn.log" >&2 || true; fail "pretix did not answer its event list"; }
    count="$(grep -o '"count": *[0-9]*' "$WORK/pretix/list.json" | grep -o '[0-9]*$' || true)"
    [[ "$count" == 25 ]] || fail "pretix's event list counted '$count' events, expected 25"
    echo "pretix $PRETIX_VERSION (gunicorn pid $PRETIX_PID) on 127.0.0.1:$PRETIX_PORT: 25 events, list body $(wc -c <"$WORK/pretix/list.json") bytes"
}

# --- 7c. the peer, side by side -----------------------------------------------------------
print_peer() {
    local key name ratio
    printf '%-40s %9s %8s %8s %9s %9s %8s %8s\n' "same wrk settings, 200s only" "200s/s" "p50 ms" "p99 ms" \
        "answers" "200s" "non-2xx" "sock err"
    for key in peer-ours peer-pretix; do
        name="Kagibag: GET events, valid key (25)"; [[ $key == peer-ours ]] || name="pretix $PRETIX_VERSION: GET events, token (25)"
        if [[ -z "${M_RPS[$key]:-}" ]]; then printf '%-40s %9s\n' "$name" "failed"; continue; fi
        printf '%-40s %9.1f %8.2f %8.2f %9d %9d %8d %8d\n' "$name" \
            "$(awk -v n="${M_OK[$key]}" -v s="${M_SECONDS[$key]}" 'BEGIN { print n / s }')" "${M_P50[$key]}" "${M_P99[$key]}" \
            "${M_REQS[$key]}" "${M_OK[$key]}" "${M_STATUS[$key]}" "${M_SOCK[$key]}"
    done
    if [[ -n "${M_OK[peer-ours]:-}" && -n "${M_OK[peer-pretix]:-}" ]]; then
        ratio="$(awk -v a="${M_OK[peer-ours]}" -v sa="${M_SECONDS[peer-ours]}" -v b="${M_OK[peer-pretix]}" -v sb="${M_SECONDS[peer-pretix]}" \
            'BEGIN { if (b == 0) print "n/a"; else printf "%.0f", (a / sa) / (b / sb) }')"
        echo "ours/pretix: ${ratio}× the 200 answers per second (target of #16: ≥ 300×)."
    fi
    echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION --timeout 30s after a $WARMUP warm-up, each; only 200 answers count"
    echo "(non-2xx: 4xx/5xx answers, e.g. 429; sock err: connect/read/write errors and timeouts)."
}
run_peer() {
    banner "Peer: Kagibag and pretix, authenticated event list of 25 events (wrk -t$THREADS -c$CONNECTIONS -d$DURATION --timeout 30s)"
    echo "  Kagibag"
    BENCH_TIMEOUT=30s BENCH_COUNT_OK=1 measure peer-ours "$THREADS" "$CONNECTIONS" -H "Authorization: Bearer $KEY" "$EVENTS_URL"
    echo "  pretix"
    BENCH_TIMEOUT=30s BENCH_COUNT_OK=1 BENCH_DRAIN=1 measure peer-pretix "$THREADS" "$CONNECTIONS" -H "Authorization: Token $PRETIX_TOKEN" "$PRETIX_URL"
    stop_pretix
    banner "Peer results"
    print_peer | tee "$WORK/peer.txt"
    for key in peer-ours peer-pretix; do
        [[ -z "${M_RPS[$key]:-}" ]] || figure peer "$key" "$([[ $key == peer-ours ]] && echo Kagibag || echo "pretix $PRETIX_VERSION")" \
            "$(awk -v n="${M_OK[$key]}" -v s="${M_SECONDS[$key]}" 'BEGIN { print n / s }')" "${M_P50[$key]}" "${M_P99[$key]}"
    done
}
