# shellcheck shell=bash
# Part of scripts/bench, which sources it at its top level after reading the options:
# --profile: perf profiles of the server.

# --- 8. profile ------------------------------------------------------------------------
# Samples the server's CPU (perf, software clock, frame-pointer call chains) while wrk
# repeats a case; prints the hottest functions by own time and by time including callees.
demangle() { if command -v swift >/dev/null 2>&1; then swift demangle --simplified; else cat; fi; }
profile_case() {
    local name="$1" method="" body=""; shift
    [[ "$name" != post ]] || { method=POST; body="$EVENT_BODY"; }
    banner "Profile: ${LABEL[$name]} (perf record -e cpu-clock -g, $DURATION)"
    BENCH_METHOD="$method" BENCH_BODY="$body" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$WORK/bench.lua" "$@" \
        >"$WORK/wrk-profile-$name.txt" 2>&1 &
    WRK_PID=$!
    sleep 1
    if ! perf record -q -e cpu-clock -F 999 -g -p "$SERVER_PID" -o "$WORK/perf-$name.data" -- sleep "$DURATION" \
        >"$WORK/perf-record-$name.txt" 2>&1; then
        sed 's/^/    /' "$WORK/perf-record-$name.txt"
        echo "    (perf record failed; no profile)"
    fi
    wait "$WRK_PID" 2>/dev/null || true
    WRK_PID=""
    [[ -s "$WORK/perf-$name.data" ]] || return 0
    local data="$WORK/perf-$name.data"
    # Reports go to files first: a reader that stops early must not SIGPIPE perf (pipefail).
    perf report -i "$data" --stdio --no-children --sort dso,symbol -g none --percent-limit 0.4 >"$WORK/self-$name.txt" 2>/dev/null || true
    perf report -i "$data" --stdio --no-children --sort dso -g none --percent-limit 0.5 >"$WORK/dso-$name.txt" 2>/dev/null || true
    perf report -i "$data" --stdio --children --sort symbol -g none --percent-limit 1.5 >"$WORK/children-$name.txt" 2>/dev/null || true
    show() { grep -v '^#' "$1" | grep -v '^[[:space:]]*$' | sed -n "1,$2p" | demangle | sed 's/[[:space:]]*$//' | cut -c1-180 | sed 's/^/    /'; }
    echo "Own time (self), top 30 functions:"
    show "$WORK/self-$name.txt" 30
    echo "Own time by library:"
    show "$WORK/dso-$name.txt" 12
    echo "Including callees (children; async frames break chains, so read as a lower bound), top 45:"
    show "$WORK/children-$name.txt" 45
    echo "By part of the path (each sample in the first part any frame of its stack names; profile_buckets.py):"
    perf script -i "$data" -F ip,sym >"$WORK/script-$name.txt" 2>/dev/null || true
    demangle <"$WORK/script-$name.txt" | python3 "$BENCH_D/profile_buckets.py" | sed 's/^/    /' || true
}
# PROFILE_CASES="post list" picks some (list, keyinfo, unknown, post); the default is the first three.
run_profiles() {
    local name
    for name in ${PROFILE_CASES:-list keyinfo unknown}; do
        case "$name" in
            list) profile_case list -H "Authorization: Bearer $KEY" "$EVENTS_URL" ;;
            keyinfo) profile_case keyinfo -H "Authorization: Bearer $KEY" "$BASE/api/v1/organizer/key" ;;
            unknown) profile_case unknown -H "Authorization: Bearer $UNKNOWN_KEY" "$EVENTS_URL" ;;
            post) profile_case post -H "Authorization: Bearer $KEY" "$EVENTS_URL" ;;
            *) echo "scripts/bench: unknown profile case '$name' (list, keyinfo, unknown, post)" >&2 ;;
        esac
    done
}
