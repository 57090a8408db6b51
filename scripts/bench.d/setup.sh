# shellcheck shell=bash
# Part of scripts/bench, which sources it at its top level after reading the options:
# the dependencies (apt), the release build, and the run's own data: a team via
# sign-up, a key via the web form, 25 events via the API, a made-up unknown and a bad key.

# --- 1. dependencies ----------------------------------------------------------
APT_UPDATED=0
apt_install() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    banner "Installing ${missing[*]}"
    local sudo=()
    [[ $EUID -eq 0 ]] || sudo=(sudo)
    if [[ $APT_UPDATED -eq 0 ]]; then "${sudo[@]}" apt-get update -q; APT_UPDATED=1; fi
    "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
}
install_dependencies() {
    export DEBIAN_FRONTEND=noninteractive
    NEED=()
    command -v wrk >/dev/null 2>&1 || NEED+=(wrk)
    command -v curl >/dev/null 2>&1 || NEED+=(curl ca-certificates)
    command -v nginx >/dev/null 2>&1 || [[ -x /usr/sbin/nginx ]] || NEED+=(nginx)
    command -v python3 >/dev/null 2>&1 || NEED+=(python3)
    if [[ -n "$PEER" ]] && ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then NEED+=(python3-venv); fi
    [[ $USE_POSTGRES -eq 0 || -x $PG_BIN/initdb ]] || NEED+=(postgresql-15)
    if [[ $PROFILE -eq 1 ]] && ! perf --version >/dev/null 2>&1; then NEED+=(linux-perf); fi
    [[ ${#NEED[@]} -eq 0 ]] || apt_install "${NEED[@]}" || fail "could not install ${NEED[*]}"
}

# --- 2. release build ---------------------------------------------------------
build_release() {
    SCRATCH=.build-release
    [[ -z "${KAGIBAG_BIN:-}" ]] || SKIP_BUILD=1
    if [[ $SKIP_BUILD -eq 0 ]]; then
        banner "swift build -c release --scratch-path $SCRATCH"
        swift build -c release --scratch-path "$SCRATCH" || fail "release build failed"
    fi
    BIN="${KAGIBAG_BIN:-$ROOT/$SCRATCH/release/kagibag}"
    if [[ $SKIP_BUILD -eq 0 ]]; then
        BIN="$(swift build -c release --scratch-path "$SCRATCH" --show-bin-path)/kagibag"
    fi
    [[ -x "$BIN" ]] || fail "$BIN not found; run without --skip-build"
}

# CRC-32 (IEEE, as zlib) of a string, and base62 (0-9A-Za-z) with zero padding: what the
# server checks a key's last six characters against.
crc32() {
    local s="$1" crc=$((0xFFFFFFFF)) i j c
    for ((i = 0; i < ${#s}; i++)); do
        printf -v c '%d' "'${s:i:1}"
        crc=$(( crc ^ c ))
        for ((j = 0; j < 8; j++)); do
            if (( crc & 1 )); then crc=$(( (crc >> 1) ^ 0xEDB88320 )); else crc=$(( crc >> 1 )); fi
        done
    done
    echo $(( crc ^ 0xFFFFFFFF ))
}
base62() {
    local v="$1" width="$2" alphabet=0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz out=""
    while (( v > 0 )); do out="${alphabet:v % 62:1}$out"; v=$(( v / 62 )); done
    while (( ${#out} < width )); do out="0$out"; done
    echo "$out"
}
random_base62() {
    local s=""
    while (( ${#s} < $1 )); do s+="$(head -c 512 /dev/urandom | LC_ALL=C tr -dc '0-9A-Za-z')"; done
    echo "${s:0:$1}"
}

# --- 5. data: a team via sign-up, a key via the web form, 25 events via the API ----
web() { curl -sS --max-time 30 -c "$JAR" -b "$JAR" "$@"; }
field() { sed -n "s/.*name=\"$1\" value=\"\([^\"]*\)\".*/\1/p" | head -n 1; }
# Realistic events: a venue and a ~300-character description each (what the list mostly carries).
DESCRIPTION="A day of talks and hands-on workshops for people who run community events: registration desks that keep queues short, venues everyone can reach, fair ticket prices, and volunteers who know what to do. Lunch, coffee and childcare are included; bring a laptop for the afternoon sessions and a question for the closing panel."
VENUE="Kongresshaus Nord, Saal 2, Am Stadtpark 14, 10115 Berlin"
event_body() { # N: the Nth of the 25 events (its own name and day)
    printf '{"name":"Community Organizers Day %d","description":"%s","venue":"%s","capacity":250,"starts_at":"2031-05-%02dT09:00:00Z","ends_at":"2031-05-%02dT17:00:00Z","timezone":"Europe/Berlin"}' \
        "$1" "$DESCRIPTION" "$VENUE" $(( ($1 - 1) % 28 + 1 )) $(( ($1 - 1) % 28 + 1 ))
}
create_data() {
    banner "Data"
    JAR="$WORK/cookies.txt"

    page="$(web -f "$BASE/signup")" || fail "GET /signup failed"
    csrf="$(field _csrf <<<"$page")"
    [[ -n "$csrf" ]] || fail "no _csrf field on /signup"
    STAMP="$(date +%s)-$RANDOM"
    code="$(web -o "$WORK/signup.html" -w '%{http_code}' \
        --data-urlencode "name=Bench Organizer" --data-urlencode "email=bench-$STAMP@example.com" \
        --data-urlencode "password=bench-password-$STAMP" --data-urlencode "team=Bench Team $STAMP" \
        --data-urlencode "_csrf=$csrf" "$BASE/signup")" || fail "POST /signup failed"
    [[ "$code" == 303 ]] || fail "POST /signup answered $code, expected 303"

    page="$(web -f "$BASE/admin/team/api-keys/new")" || fail "GET /admin/team/api-keys/new failed"
    csrf="$(field _csrf <<<"$page")"
    nonce="$(field nonce <<<"$page")"
    [[ -n "$csrf" && -n "$nonce" ]] || fail "no _csrf or nonce on the new-key form"
    code="$(web -o "$WORK/key.html" -w '%{http_code}' --data-urlencode "name=bench" \
        --data-urlencode "nonce=$nonce" --data-urlencode "_csrf=$csrf" "$BASE/admin/team/api-keys")" \
        || fail "POST /admin/team/api-keys failed"
    [[ "$code" == 201 ]] || fail "POST /admin/team/api-keys answered $code, expected 201"
    # The shown-once key: the text of <textarea id="new-api-key"> (an <input value="…"> before #15).
    KEY="$(grep -o 'id="new-api-key"[^>]*>kgb_[0-9A-Za-z]*\|id="new-api-key"[^>]*value="kgb_[0-9A-Za-z]*"' "$WORK/key.html" \
        | grep -o 'kgb_[0-9A-Za-z]*' | head -n 1 || true)"
    [[ ${#KEY} -eq 50 ]] || fail "no API key on the creation page"

    EVENT_BODY="$(event_body 26)"
    for i in $(seq 25); do
        code="$(curl -sS --max-time 30 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $KEY" \
            -H 'Content-Type: application/json' -d "$(event_body "$i")" "$BASE/api/v1/organizer/events")" \
            || fail "POST /api/v1/organizer/events failed"
        [[ "$code" == 201 ]] || fail "POST /api/v1/organizer/events answered $code, expected 201"
    done
    curl -fsS --max-time 30 -o "$WORK/list.json" -H "Authorization: Bearer $KEY" "$BASE/api/v1/organizer/events" \
        || fail "GET /api/v1/organizer/events failed"
    count="$(grep -o '"id"' "$WORK/list.json" | wc -l)"
    [[ "$count" -eq 25 ]] || fail "GET /api/v1/organizer/events listed $count events, expected 25"
    LIST_BYTES="$(wc -c <"$WORK/list.json")"

    # A well-formed key that is not in the database (valid checksum), and one whose checksum fails.
    body="kgb_$(random_base62 40)"
    UNKNOWN_KEY="$body$(base62 "$(crc32 "$body")" 6)"
    last="${UNKNOWN_KEY: -1}"
    BAD_KEY="${UNKNOWN_KEY:0:49}$([[ "$last" == 0 ]] && echo 1 || echo 0)"
    for probe in "$UNKNOWN_KEY" "$BAD_KEY"; do
        code="$(curl -sS --max-time 30 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $probe" "$BASE/api/v1/organizer/events")"
        [[ "$code" == 401 ]] || fail "a made-up key answered $code, expected 401"
    done
    metrics_snapshot "$WORK/m-probe.txt"
    [[ "$(metric "$WORK/m-probe.txt" kagibag_api_authentications_total 'outcome="unknown"')" -eq 1 \
        && "$(metric "$WORK/m-probe.txt" kagibag_api_authentications_total 'outcome="malformed"')" -eq 1 ]] \
        || fail "the made-up keys were not counted as one unknown and one malformed (checksum) key"
    echo "team, key kgb_…${KEY: -4} and 25 events (venue, ${#DESCRIPTION}-character description; list body $LIST_BYTES bytes) created;" \
        "unknown and checksum-failing keys refused with 401"
}
