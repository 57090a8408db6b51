# shellcheck shell=bash
# Part of scripts/bench, which sources it at its top level after reading the options:
# --scale: key verification and paging as the data grows.

# --- 10. scale: key verification and paging as the data grows ------------------------------
# Rows are written straight into the database by scripts/bench.d/seed.py while the server is
# stopped (copies of rows the server wrote itself, with new ids, names and real keys), then
# the server is started afresh, checked, warmed up and measured; nothing migrates or seeds
# while wrk runs. One variable grows at a time: the events with the keys at their smallest
# size, then the keys.
seed_init() { # the seed.py command line for this run's database, in SEED
    SEED=("python3" "$ROOT/scripts/bench.d/seed.py")
    if [[ $USE_POSTGRES -eq 1 ]]; then SEED+=(--postgres "$DATABASE_URL"); else SEED+=(--sqlite "$KAGIBAG_SQLITE_PATH"); fi
}
seed() { # WHAT seed.py-arguments...: runs it, prints its time; the tool's answer is in $WORK/seed.out
    local what="$1" t0=$SECONDS
    shift
    "${SEED[@]}" "$@" >"$WORK/seed.out" 2>"$WORK/seed.err" || { cat "$WORK/seed.err" >&2; fail "seeding $what failed"; }
    cat "$WORK/seed.err" >>"$WORK/seed.log"
    SEED_TIMES+=("$what: $(( SECONDS - t0 )) s")
    echo "    seeded $what in $(( SECONDS - t0 )) s$([[ ! -s "$WORK/seed.err" ]] || echo " ($(tail -n 1 "$WORK/seed.err"))")"
}
thousands() { sed ':a; s/\B[0-9]\{3\}\>/,&/; ta' <<<"$1"; }
expect_status() { # CODE KEY URL: one GET with that key must answer CODE
    local code
    code="$(curl -sS --max-time 30 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $2" "$3")" || code=000
    [[ "$code" == "$1" ]] || fail "GET $3 with a seeded key answered $code, expected $1"
}
# walk_pages KEY PAGES: follows next_cursor from the first page towards page PAGES (or the last
# one); prints "PAGE EVENTS_SEEN CURSOR" (the cursor that asks for that page; empty for page 1).
walk_pages() {
    local key="$1" want="$2" cursor="" page=1 seen=0 body next
    while :; do
        body="$(curl -fsS --max-time 30 -H "Authorization: Bearer $key" "$EVENTS_URL${cursor:+?cursor=$cursor}")" || return 1
        seen=$(( seen + $( { grep -o '"id"' <<<"$body" || true; } | wc -l) ))
        (( page < want )) || break
        next="$(sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p' <<<"$body")"
        [[ -n "$next" ]] || break
        cursor="${next//=/%3D}"
        page=$(( page + 1 ))
    done
    echo "$page $seen $cursor"
}
restart_measured() { # a fresh server process, after seeding
    stop_server
    start_server
    EVENTS_URL="$BASE/api/v1/organizer/events"
}
declare -A SCALE_LABEL
SCALE_ROWS=()
SEED_TIMES=()
scale_case() { # ROW GROUP SIZE LABEL [wrk args...]
    local row="$1" group="$2" size="$3" label="$4"
    shift 4
    SCALE_ROWS+=("$row")
    SCALE_LABEL[$row]="$label"
    SCALE_GROUP[$row]="$group"
    SCALE_SIZE[$row]="$size"
    echo "  $label"
    measure "scale-$row" "$THREADS" "$CONNECTIONS" "$@"
}
declare -A SCALE_GROUP SCALE_SIZE
events_cases() { # EVENTS: the first and the 100th (or last) page of the scale team
    local total="$1" walked page seen cursor deep
    walked="$(walk_pages "$SCALE_KEY" 100)" || fail "walking the scale team's pages failed"
    read -r page seen cursor <<<"$walked"
    if (( page < 100 )); then
        [[ "$seen" -eq "$total" ]] || fail "walked $page pages of $seen events, expected all $total"
        deep="page $page (last)"
    else
        [[ "$seen" -eq 2500 ]] || fail "walked 100 pages of $seen events, expected 2500"
        deep="page 100"
    fi
    echo "  (walked $page pages by cursor: $seen events, every one read back)"
    scale_case "events-1-$total" events-first "$total" "events page 1, team of $(thousands "$total") events" \
        -H "Authorization: Bearer $SCALE_KEY" "$EVENTS_URL"
    if [[ -n "$cursor" ]]; then
        scale_case "events-deep-$total" events-deep "$total" "events $deep, team of $(thousands "$total") events" \
            -H "Authorization: Bearer $SCALE_KEY" "$EVENTS_URL?cursor=$cursor"
    fi
}
keys_case() { # KEYS: key info with the scale key, and a check of one seeded filler key
    local total="$1" sample="$2"
    [[ -z "$sample" ]] || expect_status 200 "$sample" "$BASE/api/v1/organizer/key"
    scale_case "keys-$total" keys "$total" "key info, $(thousands "$total") keys stored" \
        -H "Authorization: Bearer $SCALE_KEY" "$BASE/api/v1/organizer/key"
}
# Activity (the admin's web page, 50 entries a page, newest first, paged by ?before=<cursor>)
# with ACTIVITY_ROWS entries in the bench team: seed.py copies the team's newest entry made with
# a key into entries older than all it has (three more keys in the team; four keys, the admin,
# several actions and the team's events), then a fresh server; read with the admin's session
# (the cookie from sign-up, kept in the database across restarts).
ACTIVITY_ROWS=1000000
# activity_walk PAGES: follows the Older entries links from the first page towards page PAGES (or
# the last); prints "PAGE ENTRIES_SEEN PATH" (PATH: that page's). Every request id seen goes to
# activity-ids.txt, so that a page read twice shows.
activity_walk() {
    local want="$1" path="/admin/team/activity" page=1 seen=0 html next
    : >"$WORK/activity-ids.txt"
    while :; do
        html="$(curl -fsS --max-time 30 -H "Cookie: kagibag_session=$SESSION" "$BASE$path")" || return 1
        seen=$(( seen + $( { grep -o '<tr data-action=' <<<"$html" || true; } | wc -l) ))
        { grep -o 'class="request-id">[^<]*' <<<"$html" || true; } | cut -d'>' -f2 >>"$WORK/activity-ids.txt"
        (( page < want )) || break
        next="$(sed -n 's/.*<a href="\([^"]*\)">Older entries<\/a>.*/\1/p' <<<"$html" | sed 's/&amp;/\&/g')"
        [[ -n "$next" ]] || break
        path="$next"
        page=$(( page + 1 ))
    done
    echo "$page $seen $path"
}
activity_cases() {
    local walked page seen path filtered count
    SESSION="$(awk '$6 == "kagibag_session" { print $7 }' "$WORK/cookies.txt" | tail -n 1)"
    [[ -n "$SESSION" ]] || fail "no session cookie from sign-up in $WORK/cookies.txt"
    walked="$(activity_walk 100)" || fail "walking the Activity pages failed"
    read -r page seen path <<<"$walked"
    [[ "$page" -eq 100 && "$seen" -eq 5000 ]] || fail "walked $page Activity pages of $seen entries, expected 100 of 50"
    [[ -z "$(sort "$WORK/activity-ids.txt" | uniq -d)" ]] || fail "an Activity entry showed on two pages"
    echo "  (walked 100 pages by their Older entries links: 5,000 entries, none twice)"
    filtered="/admin/team/activity?who=key%3A$ACTIVITY_KEY"
    count="$(curl -fsS --max-time 30 -H "Cookie: kagibag_session=$SESSION" "$BASE$filtered" | grep -c '<tr data-action=' || true)"
    [[ "$count" -eq 50 ]] || fail "the first page of key $ACTIVITY_KEY's entries showed $count, expected 50"
    scale_case "activity-1" activity "$ACTIVITY_ROWS" "Activity page 1, $(thousands "$ACTIVITY_ROWS") entries" \
        -H "Cookie: kagibag_session=$SESSION" "$BASE/admin/team/activity"
    scale_case "activity-100" activity "$ACTIVITY_ROWS" "Activity page 100, $(thousands "$ACTIVITY_ROWS") entries" \
        -H "Cookie: kagibag_session=$SESSION" "$BASE$path"
    scale_case "activity-key" activity "$ACTIVITY_ROWS" "Activity page 1 of one key (1 % of entries)" \
        -H "Cookie: kagibag_session=$SESSION" "$BASE$filtered"
}
print_scale() {
    local row group previous="" base
    printf '%-45s %9s %8s %8s %8s %8s %8s %7s\n' "as data grows" "req/s" "p50 ms" "p99 ms" \
        "rps/1st" "p50/1st" "p99/1st" "status"
    for row in "${SCALE_ROWS[@]}"; do
        group="${SCALE_GROUP[$row]}"
        [[ "$group" == "$previous" ]] || { base="$row"; previous="$group"; }
        if [[ -z "${M_RPS[scale-$row]:-}" ]]; then printf '%-45s %9s\n' "${SCALE_LABEL[$row]}" "failed"; continue; fi
        local status=200
        [[ "${M_STATUS[scale-$row]}" -eq 0 ]] || status="200*"
        [[ "${M_SOCK[scale-$row]}" -eq 0 ]] || status="$status!"
        printf '%-45s %9.0f %8.2f %8.2f %8s %8s %8s %7s\n' "${SCALE_LABEL[$row]}" "${M_RPS[scale-$row]}" \
            "${M_P50[scale-$row]}" "${M_P99[scale-$row]}" \
            "$(ratio "${M_RPS[scale-$row]}" "${M_RPS[scale-$base]:-}")" "$(ratio "${M_P50[scale-$row]}" "${M_P50[scale-$base]:-}")" \
            "$(ratio "${M_P99[scale-$row]}" "${M_P99[scale-$base]:-}")" "$status"
    done
    echo "Three groups: key info by keys stored; the first page, and the 100th page (the last, for a team with"
    echo "fewer than 2,476 events), by events in the team. x/1st: divided by the first (smallest) case of its"
    echo "group. Target of #16: within 10 % (rps/1st ≥ 0.90, p50/1st and p99/1st ≤ 1.10). wrk -t$THREADS -c$CONNECTIONS"
    echo "-d$DURATION after a $WARMUP warm-up, each on a freshly started server."
    echo "Activity (#25): the admin's web page (50 entries, the sign-up's session cookie) of a team with"
    echo "$(thousands "$ACTIVITY_ROWS") entries: page 1, page 100 (the URL its 99th page's Older entries link gives),"
    echo "and page 1 filtered to one key (who=key:…); x/1st: divided by page 1."
    # The page's CPU cost, which the table does not show: user+system time during the measured run
    # over the requests wrk counted.
    local cpu=""
    for row in activity-1 activity-100 activity-key; do
        [[ -n "${M_SRV[scale-$row]:-}" ]] || continue
        cpu+="${cpu:+; }${SCALE_LABEL[$row]%%,*}: ${M_SRV[scale-$row]}$([[ $USE_POSTGRES -eq 0 ]] || echo " + ${M_PG[scale-$row]}")"
    done
    [[ -z "$cpu" ]] || echo "Activity, CPU µs per request ($([[ $USE_POSTGRES -eq 0 ]] && echo "server" || echo "server + PostgreSQL")): $cpu."
}
run_scale() {
    seed_init
    SEED_TIMES=()   # (--memory's seeding is not this table's)
    IFS=, read -ra KEY_SIZES <<<"$SCALE_KEYS"
    IFS=, read -ra EVENT_SIZES <<<"$SCALE_EVENTS"
    banner "Scale: seeding straight into the database ($([[ $USE_POSTGRES -eq 1 ]] && echo "psql COPY" || echo "python3 sqlite3")), server stopped"
    stop_server
    seed "a scale team and its key" team --like "$KEY"
    SCALE_KEY="$(cat "$WORK/seed.out")"
    [[ ${#SCALE_KEY} -eq 50 ]] || fail "seed.py did not print a key"
    seed "keys up to ${KEY_SIZES[0]}" keys --like "$KEY" --total "${KEY_SIZES[0]}"
    sample="$(cat "$WORK/seed.out")"
    seed "events up to ${EVENT_SIZES[0]}" events --like "$KEY" --team-key "$SCALE_KEY" --total "${EVENT_SIZES[0]}"
    restart_measured
    echo "kagibag restarted (pid $SERVER_PID) on $BASE"
    expect_status 200 "$SCALE_KEY" "$BASE/api/v1/organizer/key"
    banner "Scale: ${KEY_SIZES[0]} keys, ${EVENT_SIZES[0]} events"
    keys_case "${KEY_SIZES[0]}" "$sample"
    events_cases "${EVENT_SIZES[0]}"
    for size in "${EVENT_SIZES[@]:1}"; do
        banner "Scale: $(thousands "$size") events in the team"
        stop_server
        seed "events up to $size" events --like "$KEY" --team-key "$SCALE_KEY" --total "$size"
        restart_measured
        events_cases "$size"
    done
    for size in "${KEY_SIZES[@]:1}"; do
        banner "Scale: $(thousands "$size") keys stored"
        stop_server
        seed "keys up to $size" keys --like "$KEY" --total "$size"
        sample="$(cat "$WORK/seed.out")"
        restart_measured
        keys_case "$size" "$sample"
    done
    banner "Scale: Activity with $(thousands "$ACTIVITY_ROWS") entries in the team"
    stop_server
    seed "$(thousands "$ACTIVITY_ROWS") Activity entries" activity --like "$KEY" --total "$ACTIVITY_ROWS"
    ACTIVITY_KEY="$(cat "$WORK/seed.out")"
    [[ "$ACTIVITY_KEY" =~ ^[0-9a-f-]{36}$ ]] || fail "seed.py did not print a key id"
    restart_measured
    activity_cases
    # Rows in the order of the table: keys, then first pages, then deep pages, then Activity.
    ordered=()
    for group in keys events-first events-deep activity; do
        for row in "${SCALE_ROWS[@]}"; do [[ "${SCALE_GROUP[$row]}" != "$group" ]] || ordered+=("$row"); done
    done
    SCALE_ROWS=("${ordered[@]}")
    banner "Scale results ($([[ $USE_POSTGRES -eq 1 ]] && echo PostgreSQL || echo SQLite))"
    print_scale | tee "$WORK/scale.txt"
    times="$(IFS=';'; echo "${SEED_TIMES[*]}")"
    echo "seeding times: ${times//;/; }" | tee -a "$WORK/scale.txt"
    for row in "${SCALE_ROWS[@]}"; do
        # (Activity is one size, not a curve: the table only.)
        [[ "${SCALE_GROUP[$row]}" != activity ]] || continue
        [[ -z "${M_RPS[scale-$row]:-}" ]] || figure scale "${SCALE_GROUP[$row]}" "${SCALE_SIZE[$row]}" "${SCALE_LABEL[$row]}" \
            "${M_RPS[scale-$row]}" "${M_P50[scale-$row]}" "${M_P99[scale-$row]}"
    done
}
