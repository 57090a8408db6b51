#!/usr/bin/env python3
"""Part of scripts/bench --profile: where the server's CPU goes, by part of the request's path.

Reads `perf script -F ip,sym` output (demangled) on stdin and puts each sample in the first part
whose pattern matches any frame of its stack (so the order of RULES matters: the most specific
part first; a sample of row decoding inside the events list counts as row decoding). Async
frames break call chains, so a sample is known only by the frames of the job that was running;
what matches nothing is runtime work (retain/release, allocation) whose caller the chain lost.
Prints the share of each part and the number of samples."""
import collections
import re
import sys

RULES = [
    ("JSON writing (EventDTO, JSONWriter)", r"JSONWriter|EventDTO\.write|KeyInfoDTO|ContentResponse"),
    ("row decoding (EventRecord, cells by name)", r"EventRecord\.init|PostgresStatements\.Row|PostgresRandomAccessRow|PostgresCell|ColumnType|makeRandomAccess|VerifiedKey\.init"),
    ("PostgreSQL wire (PostgresNIO handler, messages)", r"PostgresChannelHandler|PostgresBackendMessage|PostgresFrontendMessage|ConnectionStateMachine|ExtendedQueryStateMachine|PSQLRowStream|DataRow|RowDescription|PostgresConnection|PostgresBindings|PostgresQuery|PreparedRun|PreparedTexts|PSQL"),
    ("SQL text (SQLKit serialize, binds)", r"SQLKit|SQLSerializer|SQLQueryString|SQLRaw|PostgresStatements\.bindings|PostgresStatements\.execute"),
    ("pool (AsyncKit checkout, hand-offs)", r"EventLoopConnectionPool|ConnectionPool|withConnection|makeFutureWithTask"),
    ("key check and middleware (ours)", r"APIKeyAuthenticator|MiddlewareChain|RequestBudgets|RequirePermission|KeyState|RequestIDMiddleware|SecurityHeaders|MetricsMiddleware|StrictQuery|Usage|RequestLog|ClientAddress|Metrics|Prometheus|VerifiedKey|APIKeyStore|EventsAPIController|EventStore"),
    ("HTTP (NIOHTTP1, Vapor)", r"HTTPServer|HTTPRequestDecoder|HTTPResponseEncoder|NIOHTTP1|Vapor|Responder|Router|HTTPHeaders"),
    ("futures (EventLoopFuture callbacks)", r"EventLoopFuture|EventLoopPromise|CallbackList"),
    ("sockets and event loop (NIO, kernel)", r"BaseSocketChannel|Socket\.|Selector|SelectableEventLoop|\[k\]|sock_|tcp_|ep_poll|epoll|syscall"),
    ("task scheduling (Swift concurrency)", r"swift_task|swift_job|AsyncTask|swift::runJob|Executor|swift_continuation"),
]
def classify(stack):
    s = "\n".join(stack)
    for name, pat in RULES:
        if re.search(pat, s):
            return name
    return "other (runtime, allocation with no known caller)"
counts = collections.Counter(); total = 0
stack = []
for line in sys.stdin:
    line = line.rstrip("\n")
    if not line.strip():
        if stack:
            counts[classify(stack)] += 1; total += 1; stack = []
        continue
    if line.startswith("\t") or line.startswith(" "):
        stack.append(line.strip())
    else:
        stack = []  # header line
if stack: counts[classify(stack)] += 1; total += 1
for name, n in counts.most_common():
    print(f"{100*n/total:6.1f}%  {name}")
print(f"{total} samples")
