# shellcheck shell=bash
# Part of scripts/bench, which sources it at its top level after reading the options:
# --scope's wrk scripts (registering attendees, checking them in by fresh ticket codes) and
# the registration run that makes the codes.

# Both scripts are bench.lua (its summary line; its setup() numbers the threads) with more appended:
# tid 1..THREADS is set before each thread's init(); request() builds each request.
write_scope_lua() {
    cat "$WORK/bench.lua" - >"$WORK/register.lua" <<'LUA'
-- Registers attendees with the all-events key, in turn at the events in BENCH_EVENTS (ids,
-- space-separated), each with its own email (BENCH_STAMP: the run's); every 201's "event_id ticket_code" goes to its
-- thread's file BENCH_CODES_OUT.tid (line-buffered: a thread ends without closing it).
wrk.headers["Content-Type"] = "application/json"
local scope_events, stamp = {}, os.getenv("BENCH_STAMP") or "0"
for id in string.gmatch(os.getenv("BENCH_EVENTS") or "", "%S+") do table.insert(scope_events, id) end
function init(args)
    out = io.open(os.getenv("BENCH_CODES_OUT") .. "." .. tid, "w")
    out:setvbuf("line")
    sent = 0
end
function request()
    sent = sent + 1
    local body = string.format('{"name":"Door Guest %d-%d","email":"guest-%s-%d-%d@example.com"}', tid, sent, stamp, tid, sent)
    return wrk.format("POST", "/api/v1/organizer/events/" .. scope_events[sent % #scope_events + 1] .. "/attendees", nil, body)
end
function response(status, headers, body)
    if status ~= 201 then return end
    local event, code = string.match(body, '"event_id":"([^"]+)"'), string.match(body, '"ticket_code":"([^"]+)"')
    if event and code then out:write(event, " ", code, "\n") end
end
LUA
    cat "$WORK/bench.lua" - >"$WORK/checkin.lua" <<'LUA'
-- Checks attendees in with the door key: thread tid of BENCH_THREADS takes every
-- BENCH_THREADS-th line of BENCH_CODES ("event_id ticket_code"), each request built once in
-- init(), and sends each once. A thread that runs out starts its list again (a code used twice
-- answers 409, which the status column marks); done() prints how many were used and reused.
wrk.headers["Content-Type"] = "application/json"
function init(args)
    local every, line_no = tonumber(os.getenv("BENCH_THREADS")), 0
    requests_of, used, reused = {}, 0, 0
    for line in io.lines(os.getenv("BENCH_CODES")) do
        if line_no % every == tid - 1 then
            local event, code = string.match(line, "^(%S+) (%S+)$")
            table.insert(requests_of, wrk.format("POST", "/api/v1/organizer/events/" .. event .. "/check-ins", nil,
                '{"ticket_code":"' .. code .. '"}'))
        end
        line_no = line_no + 1
    end
end
function request()
    used = used + 1
    if used > #requests_of then reused = reused + 1 end
    return requests_of[(used - 1) % #requests_of + 1]
end
local base_done = done
function done(summary, latency, requests)
    base_done(summary, latency, requests)
    local u, r = 0, 0
    for _, thread in ipairs(threads) do u = u + (thread:get("used") or 0); r = r + (thread:get("reused") or 0) end
    io.write(string.format("CODES used=%d reused=%d\n", u, r))
end
LUA
}

# register_attendees TOTAL: about TOTAL attendees (or a few more) registered at the scoped events
# by wrk at the main settings, watched through the files their codes go to; wrk is ended
# (SIGINT) once TOTAL codes are in. Leaves every code, once, in $WORK/codes-all.txt.
register_attendees() {
    local total="$1" t0=$SECONDS have=0 line
    rm -f "$WORK"/codes-reg.*
    BENCH_STAMP="$(date +%s%N)" BENCH_EVENTS="${SCOPE_EVENTS[*]}" BENCH_CODES_OUT="$WORK/codes-reg" wrk -t"$THREADS" -c"$CONNECTIONS" -d3600s \
        -s "$WORK/register.lua" -H "Authorization: Bearer $SCOPE_ALL_KEY" "$BASE" >"$WORK/wrk-scope-register.txt" 2>&1 &
    WRK_PID=$!
    while (( have < total )); do
        sleep 0.2
        have="$(cat "$WORK"/codes-reg.* 2>/dev/null | wc -l || true)"
        if ! kill -0 "$WRK_PID" 2>/dev/null; then
            wait "$WRK_PID" || true; WRK_PID=""
            cat "$WORK/wrk-scope-register.txt" >&2
            fail "wrk stopped after registering $have of $total attendees"
        fi
        (( SECONDS - t0 < 900 )) || fail "registering $total attendees took more than 15 minutes ($have done)"
    done
    kill -INT "$WRK_PID" 2>/dev/null || true
    wait "$WRK_PID" 2>/dev/null || true
    WRK_PID=""
    sleep 0.5
    cat "$WORK"/codes-reg.* >"$WORK/codes-all.txt"
    line="$(grep '^BENCH ' "$WORK/wrk-scope-register.txt" || true)"
    have="$(wc -l <"$WORK/codes-all.txt")"
    [[ "$(cut -d' ' -f2 "$WORK/codes-all.txt" | sort -u | wc -l)" -eq "$have" ]] \
        || fail "the registrations gave some ticket code twice"
    REGISTER_TEXT="$have attendees registered in $(( SECONDS - t0 )) s (POST …/attendees by wrk, $(bench_field rps "$line") req/s, $(bench_field status_errors "$line") non-201)"
    echo "    $REGISTER_TEXT"
}
