# shellcheck shell=bash
# Part of scripts/bench, which sources it at its top level after reading the options:
# starting and stopping what the run measures: the cleanup of everything it starts
# (scripts/bench sets trap cleanup EXIT), the throwaway PostgreSQL, the release server, nginx.

# --- cleanup of everything this script starts --------------------------------
WORK=""
SERVER_PID=""
PG_DIR=""
PG_BIN=/usr/lib/postgresql/15/bin
as_postgres() { if [[ $EUID -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        local i
        for i in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}
WRK_PID=""
NGINX_PID=""
PRETIX_PID=""
# stop_pid PID [SIGNAL]: ends one process this script started (TERM, then KILL after 10 s).
stop_pid() {
    local pid="$1" signal="${2:-TERM}" i
    [[ -n "$pid" ]] || return 0
    if kill -0 "$pid" 2>/dev/null; then
        kill "-$signal" "$pid" 2>/dev/null || true
        for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}
stop_nginx() { stop_pid "$NGINX_PID"; NGINX_PID=""; }
stop_pretix() { stop_pid "$PRETIX_PID"; PRETIX_PID=""; }
cleanup() {
    if [[ -n "$WRK_PID" ]]; then kill -KILL "$WRK_PID" 2>/dev/null || true; wait "$WRK_PID" 2>/dev/null || true; fi
    stop_server
    stop_nginx
    stop_pretix
    if [[ -n "$PG_DIR" && -d "$PG_DIR" ]]; then
        as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
        if [[ $KEEP -eq 1 && -n "$WORK" && -d "$WORK" && -f "$PG_DIR/server.log" ]]; then
            cp "$PG_DIR/server.log" "$WORK/postgres.log" 2>/dev/null || true
        fi
        rm -rf "$PG_DIR"
    fi
    if [[ -n "$WORK" && -d "$WORK" ]]; then
        if [[ $KEEP -eq 1 ]]; then
            printf '\n==> Raw outputs kept (--keep): server.log, results.txt, lowload.txt, bench.svg, wrk-CASE.txt, m-*.txt%s\n' \
                "$([[ $USE_POSTGRES -eq 0 ]] || echo ', postgres.log')$([[ $PROFILE -eq 0 ]] || echo ', perf-*.data')$([[ $SCALE -eq 0 ]] || echo ', scale.txt, seed.log')$([[ $SCOPE -eq 0 ]] || echo ', scope.txt, scope-seed.log, codes-*.txt')$([[ -z $PEER ]] || echo ', peer.txt, pretix/')$([[ $REQUESTS -eq 0 ]] || echo ', requests.txt')$([[ $MEMORY -eq 0 ]] || echo ', memory-keys.txt')$([[ $MEMORY -eq 0 || $SCALE -eq 1 ]] || echo ', seed.log')"
            echo "$WORK"
        else
            rm -rf "$WORK"
        fi
    fi
}

# --- 3. database -----------------------------------------------------------------
start_database() {
    unset DATABASE_URL KAGIBAG_SQLITE_PATH KAGIBAG_HOST KAGIBAG_PORT KAGIBAG_AUTO_MIGRATE KAGIBAG_METRICS_TOKEN
    PG_PID=""
    if [[ $USE_POSTGRES -eq 1 ]]; then
        banner "Throwaway PostgreSQL 15"
        [[ -x $PG_BIN/initdb ]] || fail "$PG_BIN/initdb not found"
        PG_DIR="$(mktemp -d /tmp/kagibag-bench-pg.XXXXXX)"
        [[ $EUID -ne 0 ]] || chown postgres:postgres "$PG_DIR"
        chmod 700 "$PG_DIR"
        as_postgres "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-locale \
            >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; fail "initdb failed"; }
        PG_STARTED=0
        for _ in 1 2 3; do
            PG_PORT="$(free_port)" || fail "no free port"
            if as_postgres "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
                -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $PG_DIR" start >/dev/null; then
                PG_STARTED=1; break
            fi
        done
        [[ $PG_STARTED -eq 1 ]] || { cat "$PG_DIR/server.log" >&2 || true; fail "PostgreSQL did not start"; }
        PG_PID="$(head -1 "$PG_DIR/data/postmaster.pid")"
        export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
        echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{ print $3 }') on 127.0.0.1:$PG_PORT (data in $PG_DIR)"
    else
        export KAGIBAG_SQLITE_PATH="$WORK/kagibag.sqlite"
    fi
    [[ -z "$POOL_SIZE" ]] || export KAGIBAG_DB_POOL_SIZE="$POOL_SIZE"
}

# --- 4. server -------------------------------------------------------------------
# start_server: a fresh server process on a free port (the same one again when it is free);
# sets PORT, BASE and SERVER_PID. Its log is appended to server.log.
PORT=""
start_server() {
    local started=0 i
    for _ in 1 2 3; do
        if [[ -z "$PORT" ]] || port_in_use "$PORT"; then PORT="$(free_port)" || fail "no free port"; fi
        BASE="http://127.0.0.1:$PORT"
        ( cd "$WORK" && KAGIBAG_HOST=127.0.0.1 KAGIBAG_PORT="$PORT" exec "$BIN" serve --env production ) \
            >>"$WORK/server.log" 2>&1 &
        SERVER_PID=$!
        for i in $(seq 600); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            if curl -fsS --max-time 2 -o /dev/null "$BASE/healthz" 2>/dev/null; then started=1; break; fi
            sleep 0.1
        done
        [[ $started -eq 1 ]] && break
        stop_server
        PORT=""
    done
    [[ $started -eq 1 ]] || { tail -n 30 "$WORK/server.log" >&2; fail "the server did not answer /healthz"; }
}
start_release_server() {
    banner "Release server"
    export KAGIBAG_BCRYPT_COST=4
    # The per-key rate limiter stays on (its cost is part of the path) but can never trip; so does
    # the per-address limit on failed key lookups (at its default of 100 a minute, the unknown-key
    # case would turn every later request from 127.0.0.1 into a 429 for a minute).
    export KAGIBAG_API_RATE_LIMIT=1000000000
    export KAGIBAG_KEY_FAILURES_PER_MINUTE=1000000
    start_server
    echo "kagibag (pid $SERVER_PID) on $BASE"
}

# --- 7b. low load: nginx (the cases are in cases.sh) --------------------------------------
# A throwaway nginx (its own conf, pid, logs and temp paths in the work folder, one worker, no
# access log) answers a fixed string: the floor of what an HTTP round trip costs on this
# machine. Each case is a wrk -t1 -c1 run; p50 and p99 are given as multiples of nginx's.
start_nginx() {
    run_nginx "$WORK/nginx" "access_log off;" 'location / { default_type text/plain; return 200 "ok"; }' answers_ok \
        || fail "nginx did not start"
}
answers_ok() { [[ "$(curl -fsS --max-time 2 "http://127.0.0.1:$1/" 2>/dev/null)" == ok ]]; }

# run_nginx DIR HTTP_LINES LOCATION PROBE: a throwaway nginx (NGINX_BIN) with its conf, pid, logs
# and temp paths in DIR, one worker, on a free loopback port (NGINX_PORT; its pid in NGINX_PID, so
# cleanup stops it), with HTTP_LINES in its http block and LOCATION in its server; ready once
# `PROBE PORT` succeeds. Also the webhook receiver of webhooks.sh.
run_nginx() {
    local dir="$1" http_lines="$2" location="$3" probe="$4" i
    mkdir -p "$dir/logs" "$dir/tmp"
    for _ in 1 2 3; do
        NGINX_PORT="$(free_port)" || fail "no free port"
        cat >"$dir/nginx.conf" <<NGINX
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http {
    $http_lines
    client_body_temp_path $dir/tmp/body;
    proxy_temp_path $dir/tmp/proxy;
    fastcgi_temp_path $dir/tmp/fastcgi;
    uwsgi_temp_path $dir/tmp/uwsgi;
    scgi_temp_path $dir/tmp/scgi;
    server {
        listen 127.0.0.1:$NGINX_PORT;
        $location
    }
}
NGINX
        "$NGINX_BIN" -p "$dir" -c "$dir/nginx.conf" -e "$dir/logs/error.log" >"$dir/logs/stderr.log" 2>&1 &
        NGINX_PID=$!
        for i in $(seq 50); do
            kill -0 "$NGINX_PID" 2>/dev/null || break
            if "$probe" "$NGINX_PORT"; then return 0; fi
            sleep 0.1
        done
        stop_nginx
    done
    cat "$dir/logs/stderr.log" "$dir/logs/error.log" >&2 2>/dev/null || true
    return 1
}
