# shellcheck shell=bash
# Part of scripts/bench, which sources it at its top level after reading the options:
# --scope (issue #24): a key scoped to 10 of a team's 10,000 events, and check-in by ticket code.

# --- 9b. scope -----------------------------------------------------------------------------
# A team of its own (the bench team holds every event the POST case made by now): sign-up, an
# all-events key via the web form, then 10,000 copies of the bench team's first event written
# straight into the database by seed.py (server stopped, as --scale does) and a fresh server.
# The team had no event, so seed.py dates their ids ten days back: before every other team's,
# as the bench team's 25 come before the events the POST case adds. (Behind thousands of other
# events by id, PostgreSQL answers the team's unscoped first page by walking the primary key past
# all of them, a planner choice that is not the scope's cost.) Ten events spread over the team
# (every 1,000th by id, the newest among them) get room for the check-in's attendees (capacity
# 1,000,000, PATCH) and a door key via the web form: only those events, only events:read and
# attendees:check_in.
# Five cases at the main table's wrk settings, each with its warm-up: the scoped list, one
# scoped event, the unscoped list of the same team (first page of 25), POST event (all-events
# key), and check-in with the door key, every request a ticket code never sent before.
# Attendees for it are registered through the API just before it, as many as 1.5× the scoped
# single event's rate (a check-in does all of that request's work and a write) would use in
# the warm-up and the measured run; each run has its own codes.
SCOPE_TEAM_EVENTS=10000
SCOPE_NAMES=(scoped-list scoped-one list post checkin)
declare -A SCOPE_LABEL=(
    [scoped-list]="GET events, key for 10 events"
    [scoped-one]="GET one event, key for 10 events"
    [list]="GET events, all-events key (25 of 10,000)"
    [post]="POST events, all-events key"
    [checkin]="POST check-ins, door key, fresh codes"
)
declare -A SCOPE_EXPECT=([scoped-list]=200 [scoped-one]=200 [list]=200 [post]=201 [checkin]=201)
declare -A SCOPE_OK SCOPE_SRV SCOPE_PG
seconds_of() { # 10s, 2m, 1h or 10 → seconds
    local v="${1%[smh]}"
    case "$1" in *m) echo $(( v * 60 )) ;; *h) echo $(( v * 3600 )) ;; *) echo "$v" ;; esac
}
code_of() { # METHOD KEY URL [curl args...]: the status of one request
    local method="$1" key="$2" url="$3"
    shift 3
    curl -sS --max-time 30 -o "$WORK/scope-answer.json" -w '%{http_code}' -X "$method" \
        -H "Authorization: Bearer $key" "$@" "$url" || echo 000
}
# scope_key_form ARGS...: creates a key for the signed-in team through the web form (the
# form's _csrf and nonce added); prints the shown-once key.
scope_key_form() {
    local page csrf nonce code
    page="$(web -f "$BASE/admin/team/api-keys/new")" || fail "GET /admin/team/api-keys/new failed"
    csrf="$(field _csrf <<<"$page")"; nonce="$(field nonce <<<"$page")"
    [[ -n "$csrf" && -n "$nonce" ]] || fail "no _csrf or nonce on the new-key form"
    code="$(web -o "$WORK/scope-key.html" -w '%{http_code}' "$@" --data-urlencode "nonce=$nonce" \
        --data-urlencode "_csrf=$csrf" "$BASE/admin/team/api-keys")" || fail "POST /admin/team/api-keys failed"
    [[ "$code" == 201 ]] || fail "POST /admin/team/api-keys answered $code, expected 201"
    grep -o 'id="new-api-key"[^>]*>kgb_[0-9A-Za-z]*' "$WORK/scope-key.html" | grep -o 'kgb_[0-9A-Za-z]*' | head -n 1 || true
}
scope_walk() { # every event id of the scope team, oldest first (the list by cursor, 100 a page)
    local cursor="" body next
    while :; do
        body="$(curl -fsS --max-time 30 -H "Authorization: Bearer $SCOPE_ALL_KEY" "$EVENTS_URL?limit=100${cursor:+&cursor=$cursor}")" || return 1
        grep -o '"id":"[0-9a-f-]*"' <<<"$body" | cut -d'"' -f4
        next="$(sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p' <<<"$body")"
        [[ -n "$next" ]] || return 0
        cursor="${next//=/%3D}"
    done
}
scope_data() {
    local JAR="$WORK/scope-cookies.txt" page csrf code stamp ids i t0
    page="$(web -f "$BASE/signup")" || fail "GET /signup failed"
    csrf="$(field _csrf <<<"$page")"
    stamp="$(date +%s)-$RANDOM"
    code="$(web -o "$WORK/scope-signup.html" -w '%{http_code}' \
        --data-urlencode "name=Door Organizer" --data-urlencode "email=door-$stamp@example.com" \
        --data-urlencode "password=door-password-$stamp" --data-urlencode "team=Bench Scope Team $stamp" \
        --data-urlencode "_csrf=$csrf" "$BASE/signup")" || fail "POST /signup failed"
    [[ "$code" == 303 ]] || fail "POST /signup (scope team) answered $code, expected 303"
    SCOPE_ALL_KEY="$(scope_key_form --data-urlencode "name=scope all events")"
    [[ ${#SCOPE_ALL_KEY} -eq 50 ]] || fail "no API key on the creation page (scope team)"
    stop_server
    t0=$SECONDS
    SEED=("python3" "$ROOT/scripts/bench.d/seed.py")
    if [[ $USE_POSTGRES -eq 1 ]]; then SEED+=(--postgres "$DATABASE_URL"); else SEED+=(--sqlite "$KAGIBAG_SQLITE_PATH"); fi
    "${SEED[@]}" events --like "$KEY" --team-key "$SCOPE_ALL_KEY" --total "$SCOPE_TEAM_EVENTS" \
        >/dev/null 2>"$WORK/scope-seed.log" || { cat "$WORK/scope-seed.log" >&2; fail "seeding the scope team's events failed"; }
    restart_measured
    SCOPE_SEED_TEXT="$(tail -n 1 "$WORK/scope-seed.log"), $(( SECONDS - t0 )) s with the restart"
    mapfile -t ids < <(scope_walk)
    [[ ${#ids[@]} -eq $SCOPE_TEAM_EVENTS ]] || fail "the scope team lists ${#ids[@]} events, expected $SCOPE_TEAM_EVENTS"
    SCOPE_EVENTS=()
    for (( i = SCOPE_TEAM_EVENTS / 10 - 1; i < SCOPE_TEAM_EVENTS; i += SCOPE_TEAM_EVENTS / 10 )); do SCOPE_EVENTS+=("${ids[i]}"); done
    for i in "${SCOPE_EVENTS[@]}"; do
        [[ "$(code_of PATCH "$SCOPE_ALL_KEY" "$EVENTS_URL/$i" -H 'Content-Type: application/json' -d '{"capacity":1000000}')" == 200 ]] \
            || fail "PATCH capacity of event $i answered $(cat "$WORK/scope-answer.json")"
    done
    local form=(--data-urlencode "name=scope door" --data-urlencode "permission_choice=only"
        --data-urlencode "permissions[]=events:read" --data-urlencode "permissions[]=attendees:check_in"
        --data-urlencode "event_choice=only" --data-urlencode "event_window=")
    for i in "${SCOPE_EVENTS[@]}"; do form+=(--data-urlencode "events[]=$i"); done
    SCOPE_KEY="$(scope_key_form "${form[@]}")"
    [[ ${#SCOPE_KEY} -eq 50 ]] || fail "no API key on the creation page (door key)"
    SCOPE_ONE="${SCOPE_EVENTS[4]}"
    # What the door key reaches: its ten events, one of them, not another, no new event.
    [[ "$(code_of GET "$SCOPE_KEY" "$EVENTS_URL")" == 200 ]] || fail "the door key's list did not answer 200"
    [[ "$(grep -o '"id":"[0-9a-f-]*"' "$WORK/scope-answer.json" | cut -d'"' -f4 | tr '\n' ' ')" == "${SCOPE_EVENTS[*]} " ]] \
        || fail "the door key's list is not its ten events"
    ! grep -q '"next_cursor":"' "$WORK/scope-answer.json" || fail "the door key's list has a next page"
    SCOPE_LIST_BYTES="$(wc -c <"$WORK/scope-answer.json")"
    [[ "$(code_of GET "$SCOPE_KEY" "$EVENTS_URL/$SCOPE_ONE")" == 200 ]] || fail "the door key's event did not answer 200"
    [[ "$(code_of GET "$SCOPE_KEY" "$EVENTS_URL/${ids[0]}")" == 404 ]] || fail "another event did not answer 404 to the door key"
    [[ "$(code_of POST "$SCOPE_KEY" "$EVENTS_URL" -H 'Content-Type: application/json' -d "$EVENT_BODY")" == 403 ]] \
        || fail "the door key could create an event"
    [[ "$(code_of GET "$SCOPE_ALL_KEY" "$EVENTS_URL")" == 200 ]] || fail "the all-events key's list did not answer 200"
    SCOPE_ALL_BYTES="$(wc -c <"$WORK/scope-answer.json")"
    # One check-in by hand: 201, then 409 for the same code.
    [[ "$(code_of POST "$SCOPE_ALL_KEY" "$EVENTS_URL/$SCOPE_ONE/attendees" -H 'Content-Type: application/json' \
        -d '{"name":"Door Check","email":"door-check@example.com"}')" == 201 ]] || fail "registering an attendee failed"
    code="$(sed -n 's/.*"ticket_code":"\([^"]*\)".*/\1/p' "$WORK/scope-answer.json")"
    for i in 201 409; do
        [[ "$(code_of POST "$SCOPE_KEY" "$EVENTS_URL/$SCOPE_ONE/check-ins" -H 'Content-Type: application/json' \
            -d "{\"ticket_code\":\"$code\"}")" == "$i" ]] || fail "checking ticket $code in did not answer $i"
    done
    echo "scope team: $(thousands "$SCOPE_TEAM_EVENTS") events ($SCOPE_SEED_TEXT); all-events key kgb_…${SCOPE_ALL_KEY: -4}" \
        "(list body $SCOPE_ALL_BYTES bytes), door key kgb_…${SCOPE_KEY: -4} for events no. $(thousands $(( SCOPE_TEAM_EVENTS / 10 ))), …," \
        "$(thousands "$SCOPE_TEAM_EVENTS") by id (list body $SCOPE_LIST_BYTES bytes); checked: its list is those ten, another event 404," \
        "POST event 403, a check-in 201 and again 409"
}

# scope_case NAME LUA [wrk args...]: a warm-up (codes-warmup.txt for check-in) and the measured
# run (codes-run.txt), the server's (and PostgreSQL's) CPU time and request counter around it.
scope_case() {
    local name="$1" lua="$2" rc=0 line pg_pids=() cpu0 cpu1 pg0 pg1 served sel
    shift 2
    banner "Scope: ${SCOPE_LABEL[$name]}"
    if [[ "$WARMUP" != 0 && "$WARMUP" != 0s ]]; then
        BENCH_CODES="$WORK/codes-warmup.txt" BENCH_THREADS="$THREADS" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$WARMUP" \
            -s "$lua" "$@" >"$WORK/warmup-scope-$name.txt" 2>&1 || true
    fi
    metrics_snapshot "$WORK/m-before-scope-$name.txt"
    [[ $USE_POSTGRES -eq 0 ]] || mapfile -t pg_pids < <(postgres_pids)
    cpu0="$(cpu_ticks "$SERVER_PID")"; pg0="$(cpu_ticks "${pg_pids[@]}")"
    BENCH_CODES="$WORK/codes-run.txt" BENCH_THREADS="$THREADS" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency \
        -s "$lua" "$@" >"$WORK/wrk-scope-$name.txt" 2>&1 || rc=$?
    cpu1="$(cpu_ticks "$SERVER_PID")"; pg1="$(cpu_ticks "${pg_pids[@]}")"
    metrics_snapshot "$WORK/m-after-scope-$name.txt"
    sed 's/^/    /' "$WORK/wrk-scope-$name.txt"
    line="$(grep '^BENCH ' "$WORK/wrk-scope-$name.txt" || true)"
    if [[ $rc -ne 0 || -z "$line" ]]; then echo "    (wrk failed; no figures for this case)"; return 0; fi
    M_RPS[scope-$name]="$(bench_field rps "$line")"; M_P50[scope-$name]="$(bench_field p50 "$line")"
    M_P99[scope-$name]="$(bench_field p99 "$line")"; M_REQS[scope-$name]="$(bench_field requests "$line")"
    M_SECONDS[scope-$name]="$(bench_field seconds "$line")"; M_STATUS[scope-$name]="$(bench_field status_errors "$line")"
    M_SOCK[scope-$name]="$(bench_field socket_errors "$line")"
    # Only the answers meant count: wrk counts every status ≥ 400 (a 404, 409 or 429) as an error.
    SCOPE_OK[$name]="$(awk -v n="${M_REQS[scope-$name]}" -v e="${M_STATUS[scope-$name]}" -v s="${M_SECONDS[scope-$name]}" \
        'BEGIN { printf "%.1f", (n - e) / s }')"
    sel=('route="/api/v1/organizer/events' "method=\"$([[ $name == post || $name == checkin ]] && echo POST || echo GET)\"")
    served=$(( $(metric "$WORK/m-after-scope-$name.txt" kagibag_http_requests_total "${sel[@]}") \
        - $(metric "$WORK/m-before-scope-$name.txt" kagibag_http_requests_total "${sel[@]}") ))
    SCOPE_SRV[$name]="$(awk -v t=$(( cpu1 - cpu0 )) -v hz="$TICKS" -v n="$served" 'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')"
    SCOPE_PG[$name]="$(awk -v t=$(( pg1 - pg0 )) -v hz="$TICKS" -v n="$served" 'BEGIN { printf "%.0f", (n > 0 ? t / hz * 1e6 / n : 0) }')"
}
scope_ratio_line() { # LABEL A B TARGET: A's req/s over B's, against the target; and their CPU per request
    local r
    r="$(ratio "${SCOPE_OK[$2]:-}" "${SCOPE_OK[$3]:-}")"
    printf '%-44s %5s×  target ≥ %s×: %-7s (srv CPU µs/req %s against %s)\n' "$1" "$r" "$4" \
        "$(awk -v r="$r" -v t="$4" 'BEGIN { print (r == "n/a" ? "n/a" : (r + 0 >= t + 0 ? "met" : "NOT met")) }')" \
        "${SCOPE_SRV[$2]:-n/a}" "${SCOPE_SRV[$3]:-n/a}"
}
print_scope() {
    local name status cpu header_cpu="srv CPU µs/req"
    [[ $USE_POSTGRES -eq 0 ]] || header_cpu="srv+pg CPU µs/req"
    printf '%-44s %9s %8s %8s %7s %18s\n' "team of 10,000 events" "req/s" "p50 ms" "p99 ms" "status" "$header_cpu"
    for name in "${SCOPE_NAMES[@]}"; do
        if [[ -z "${SCOPE_OK[$name]:-}" ]]; then printf '%-44s %9s\n' "${SCOPE_LABEL[$name]}" "failed"; continue; fi
        status="${SCOPE_EXPECT[$name]}"
        [[ "${M_STATUS[scope-$name]}" -eq 0 ]] || status="$status*"
        [[ "${M_SOCK[scope-$name]}" -eq 0 ]] || status="$status!"
        cpu="${SCOPE_SRV[$name]}"
        [[ $USE_POSTGRES -eq 0 ]] || cpu="${SCOPE_SRV[$name]} + ${SCOPE_PG[$name]}"
        printf '%-44s %9.0f %8.2f %8.2f %7s %18s\n' "${SCOPE_LABEL[$name]}" "${SCOPE_OK[$name]}" \
            "${M_P50[scope-$name]}" "${M_P99[scope-$name]}" "$status" "$cpu"
    done
    scope_ratio_line "scoped list / all-events list" scoped-list list 0.9
    scope_ratio_line "check-in / POST event" checkin post 0.8
    echo "req/s: answers with the status shown per second (* = some got another, e.g. a 409 for a code sent twice,"
    echo "and only the others count; ! = socket errors). Targets of #24. Check-in codes: $SCOPE_CODES_TEXT."
    echo "wrk -t$THREADS -c$CONNECTIONS -d$DURATION after a $WARMUP warm-up each, on a server restarted after seeding;"
    echo "CPU µs/req as in the main table. The door key reaches events no. 1,000, 2,000, …, 10,000 of the team by id."
}
run_scope() {
    local rate secs_w secs_d need_w need_d line
    banner "Scope: a key for 10 of $(thousands "$SCOPE_TEAM_EVENTS") events, and check-in (issue #24)"
    scope_data
    write_scope_lua
    scope_case scoped-list "$WORK/bench.lua" -H "Authorization: Bearer $SCOPE_KEY" "$EVENTS_URL"
    scope_case scoped-one "$WORK/bench.lua" -H "Authorization: Bearer $SCOPE_KEY" "$EVENTS_URL/$SCOPE_ONE"
    scope_case list "$WORK/bench.lua" -H "Authorization: Bearer $SCOPE_ALL_KEY" "$EVENTS_URL"
    BENCH_METHOD=POST BENCH_BODY="$EVENT_BODY" scope_case post "$WORK/bench.lua" -H "Authorization: Bearer $SCOPE_ALL_KEY" "$EVENTS_URL"
    # Codes for the warm-up and the measured run: 1.5× what the single event's rate would use, and 500 more each.
    rate="${M_RPS[scope-scoped-one]:-${RPS[keyinfo]:-20000}}"
    secs_w="$(seconds_of "$WARMUP")"; secs_d="$(seconds_of "$DURATION")"
    need_w="$(awk -v r="$rate" -v s="$secs_w" 'BEGIN { printf "%d", (s > 0 ? 1.5 * r * s + 500 : 0) }')"
    need_d="$(awk -v r="$rate" -v s="$secs_d" 'BEGIN { printf "%d", 1.5 * r * s + 500 }')"
    banner "Scope: registering $(( need_w + need_d )) attendees for check-in (all-events key, spread over the ten events)"
    register_attendees $(( need_w + need_d ))
    head -n "$need_w" "$WORK/codes-all.txt" >"$WORK/codes-warmup.txt"
    tail -n +"$(( need_w + 1 ))" "$WORK/codes-all.txt" >"$WORK/codes-run.txt"
    if [[ $USE_POSTGRES -eq 1 ]]; then   # as seed.py does: nothing of the load left to do while wrk runs
        psql -X -q -v ON_ERROR_STOP=1 "$DATABASE_URL" -c 'VACUUM ANALYZE attendees' -c 'CHECKPOINT' \
            || fail "VACUUM ANALYZE attendees failed"
    fi
    scope_case checkin "$WORK/checkin.lua" -H "Authorization: Bearer $SCOPE_KEY" "$BASE"
    line="$(grep '^CODES ' "$WORK/wrk-scope-checkin.txt" || true)"
    SCOPE_CODES_TEXT="$(wc -l <"$WORK/codes-run.txt") for the measured run, $(bench_field used "$line") sent"
    SCOPE_CODES_TEXT+=", $(bench_field reused "$line") of them a second time; $REGISTER_TEXT"
    banner "Scope results ($([[ $USE_POSTGRES -eq 1 ]] && echo PostgreSQL || echo SQLite))"
    print_scope | tee "$WORK/scope.txt"
}
