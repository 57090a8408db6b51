# shellcheck shell=bash
# Part of scripts/bench, which sources it at its top level after reading the options:
# messages (banner, fail), phase timing, free ports, the server's bookkeeping from
# /proc, and the ratio every table prints.

banner() { printf '\n==> %s\n' "$*"; }
fail() {
    if [[ -n "${WORK:-}" && -s "$WORK/server.log" ]]; then
        echo "--- last lines of the server's log ---" >&2
        tail -n 20 "$WORK/server.log" >&2
    fi
    echo "scripts/bench: $*" >&2
    exit 1
}

# Seconds each phase took, printed at the end (PHASES and PHASE_T0 are set by scripts/bench once
# the dependencies are in).
phase_done() { PHASES+=("$1 $(( SECONDS - PHASE_T0 )) s"); PHASE_T0=$SECONDS; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
    local p i
    for i in $(seq 100); do
        p=$(( 20000 + (RANDOM * 32768 + RANDOM) % 40000 ))
        port_in_use "$p" || { echo "$p"; return 0; }
    done
    return 1
}

# Server bookkeeping from /proc: resident memory (kB) and CPU time (clock ticks).
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$SERVER_PID/status"; }
cpu_ticks() { # pid...: user + system time of those processes
    local total=0 pid t
    for pid in "$@"; do
        t=$(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat" 2>/dev/null || echo 0)
        total=$(( total + t ))
    done
    echo "$total"
}
# The throwaway cluster's processes: its postmaster and the postmaster's children.
postgres_pids() {
    local f line rest
    echo "$PG_PID"
    for f in /proc/[0-9]*/stat; do
        { read -r line <"$f"; } 2>/dev/null || continue
        rest="${line##*) }"
        # shellcheck disable=SC2086 # split on purpose: the fields of /proc/PID/stat
        set -- $rest
        [[ "$2" != "$PG_PID" ]] || echo "${f//[^0-9]/}"
    done
}
TICKS=$(getconf CLK_TCK)
mb() { awk -v kb="$1" 'BEGIN { printf "%.1f MB", kb / 1024 }'; }

# x/y with two decimals, n/a when either is missing or y is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f\n", a / b }'; }
