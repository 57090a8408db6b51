"""Hardening: hostile `Authorization` headers against a real server, over raw sockets.

Against a `kagibag serve` of the module's own (the `module_server` fixture: SQLite in a temporary
directory). Every case is sent on its own TCP connection as raw bytes (support.http.raw_get), so
that it can carry what `requests` refuses to send (NUL, bare CR, non-ASCII bytes, two
Authorization headers, a 100 kB token, obs-fold…).

Every case must be answered 400 or 401 -- never a 5xx -- and after every single case the valid
key must still get 200 (the server neither crashed nor wedged). Two layers may answer:
  * the application (APIKeyAuthenticator): 400 invalid_request or 401, always with a
    `WWW-Authenticate: Bearer realm="kagibag"…` challenge and a problem+json body. Each case
    names the status the application must give.
  * SwiftNIO's HTTP/1.1 parser (llhttp), before Vapor sees the request, for bytes that are not
    HTTP at all (NUL, a bare CR, VT/FF and other control characters, a header line without a
    colon, obs-fold…). Vapor's pipeline ends in NIOCloseOnErrorHandler, not NIO's
    HTTPServerProtocolErrorHandler, so it closes the connection WITHOUT a response (RFC 9112
    §2.2 says SHOULD answer 400) and logs "Invalid HTTP request, will close connection". Only the
    cases marked `parser_may_reject` may end that way (or with a plain 400), and the test checks
    the parser logged the rejection (a close for any other reason would be a crash or a bug).
  * The 100 kB token is over llhttp's 80 kB header limit (HPE_HEADER_OVERFLOW): the same close
    without a response; 431 or an application 401 would also do.
Trailing spaces/tabs after the key are not stripped by NIO (RFC 9110 §5.5 says recipients
should exclude them), so the application sees them and answers 400 invalid_request.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest

from support.api import EVENTS, auth
from support.http import Answer, http, raw_get
from support.kagibag import Kagibag
from support.keys import flip, with_checksum

pytestmark = pytest.mark.hardening

CHALLENGE = b'Bearer realm="kagibag"'


@dataclass
class Case:
    name: str
    lines: list[bytes]  # the header lines that replace a well-formed Authorization header
    expect: int | None = None  # the application's exact status, where the code pins it
    parser_may_reject: bool = False  # may be answered 400 by the HTTP parser, without a challenge
    oversized: bool = False


def hostile_cases(key: bytes, revoked: bytes) -> list[Case]:
    k = key
    changed_last = k[:-1] + bytes([flip(k[-1])])  # checksum mismatch: refused without I/O
    changed_middle = k[:20] + bytes([flip(k[20])]) + k[21:]
    # One character changed and the checksum recomputed: well-formed, so it reaches the database.
    unknown_wellformed = with_checksum(k[:20] + bytes([flip(k[20])]) + k[21:44])
    made_up = with_checksum(b"kgb_" + b"Z" * 40)
    A = b"Authorization: "
    return [
        Case("empty value", [b"Authorization:"], 401),
        Case("only whitespace", [b"Authorization:    \t "], 401),
        Case("Bearer alone", [A + b"Bearer"], 400),
        Case("bearer alone, lowercase", [A + b"bearer"], 400),
        Case("Bearer then spaces only", [A + b"Bearer    "], 400),
        Case("two spaces before key", [A + b"Bearer  " + k], 400),
        Case("tab instead of space", [A + b"Bearer\t" + k], 401),
        Case("no separator", [A + b"Bearer" + k], 401),
        Case("equals sign separator", [A + b"Bearer=" + k], 401),
        Case("lowercase scheme, bad key", [A + b"bearer kgb_notarealkey"], 401),
        Case("uppercase scheme, bad key", [A + b"BEARER nope"], 401),
        Case("Basic credentials", [A + b"Basic dXNlcjpjb3JyZWN0IGhvcnNlIGJhdHRlcnkgc3RhcGxl"], 401),
        Case("Digest credentials", [A + b'Digest username="x", realm="kagibag", nonce="1", response="2"'], 401),
        Case("Token scheme with the valid key", [A + b"Token " + k], 401),
        Case("key without scheme", [A + k], 401),
        Case("valid key, last character changed", [A + b"Bearer " + changed_last], 401),
        Case("valid key, middle character changed", [A + b"Bearer " + changed_middle], 401),
        Case("well-formed unknown key (checksum ok)", [A + b"Bearer " + unknown_wellformed], 401),
        Case("made-up key with a correct checksum", [A + b"Bearer " + made_up], 401),
        Case("deleted (revoked) key", [A + b"Bearer " + revoked], 401),
        Case("key truncated by one", [A + b"Bearer " + k[:-1]], 401),
        Case("key plus one character", [A + b"Bearer " + k + b"x"], 401),
        Case("key twice, concatenated", [A + b"Bearer " + k + k], 401),
        Case("key, space, key", [A + b"Bearer " + k + b" " + k], 400),
        Case("key, comma, key", [A + b"Bearer " + k + b"," + k], 400),
        Case("key with auth-param", [A + b"Bearer " + k + b', realm="kagibag"'], 400),
        Case("uppercase KGB_ prefix", [A + b"Bearer KGB_" + k[4:]], 401),
        Case("key in double quotes", [A + b'Bearer "' + k + b'"'], 401),
        Case("key in single quotes", [A + b"Bearer '" + k + b"'"], 401),
        Case("key then vertical tab", [A + b"Bearer " + k + b"\x0b"], 401, parser_may_reject=True),
        Case("key then form feed", [A + b"Bearer " + k + b"\x0c"], 401, parser_may_reject=True),
        Case("key then UTF-8 no-break space", [A + b"Bearer " + k + "\u00a0".encode()], 401),
        Case("key then U+2028 line separator", [A + b"Bearer " + k + "\u2028".encode()], 401),
        Case("key then bare CR", [A + b"Bearer " + k + b"\r"], None, parser_may_reject=True),
        Case("bare CR inside the key", [A + b"Bearer " + k[:10] + b"\r" + k[10:]], None, parser_may_reject=True),
        Case("NUL inside the key", [A + b"Bearer " + k[:10] + b"\x00" + k[10:]], None, parser_may_reject=True),
        Case("NUL after the key", [A + b"Bearer " + k + b"\x00"], None, parser_may_reject=True),
        Case("control characters", [A + b"Bearer kgb_\x01\x02\x1b[31m\x7f"], 401, parser_may_reject=True),
        Case("Latin-1 bytes", [A + b"Bearer kgb_caf\xe9_cl\xe9_\xff\xfe"], 401),
        Case("Latin-1 e-acute replacing a key character", [A + b"Bearer " + k[:30] + b"\xe9" + k[31:]], 401),
        Case("invalid UTF-8 (lone continuation, overlong)", [A + b"Bearer \x80\xc0\xaf\xed\xa0\x80"], 401),
        Case("UTF-8 Cyrillic and emoji", [A + "Bearer ключ🔑".encode()], 401),
        Case("fullwidth digits", [A + b"Bearer " + "ｋｇｂ＿１２３".encode()], 401),
        Case("SQL injection, no spaces", [A + b"Bearer kgb_'OR'1'='1'--"], 401),
        Case("SQL injection with spaces", [A + b"Bearer ' OR 1=1; DROP TABLE api_keys; --"], 400),
        Case("SQL wildcard", [A + b"Bearer %"], 401),
        Case("path traversal", [A + b"Bearer ../../../../etc/passwd"], 401),
        Case("percent-encoded traversal", [A + b"Bearer %2e%2e%2f%2e%2e%2fetc%2fpasswd%00"], 401),
        Case("JNDI lookup", [A + b"Bearer ${jndi:ldap://127.0.0.1/a}"], 401),
        Case("JSON instead of a key", [A + b'Bearer {"key":"' + k + b'"}'], 401),
        Case("null", [A + b"Bearer null"], 401),
        Case("8 kB token", [A + b"Bearer " + b"kgb_" + b"A" * 8192], 401),
        Case("100 kB token", [A + b"Bearer " + b"kgb_" + b"A" * 100_000], 401, oversized=True),
        Case("two headers: valid then bad", [A + b"Bearer " + k, A + b"Bearer nope"], 400),
        Case("two headers: bad then valid", [A + b"Bearer nope", A + b"Bearer " + k], 400),
        Case("two headers: valid twice", [A + b"Bearer " + k, A + b"Bearer " + k], 400),
        Case("two headers: different case names", [b"authorization: Bearer " + k, b"AUTHORIZATION: Bearer " + k], 400),
        Case("header smuggled via CRLF in value", [A + b"Bearer nope\r\nAuthorization: Bearer " + k], 400),
        Case("lowercase header name, bad key", [b"authorization: bearer kgb_bad"], 401),
        Case("space before the colon", [b"Authorization : Bearer " + k], None, parser_may_reject=True),
        Case("no colon at all", [b"Authorization Bearer " + k], None, parser_may_reject=True),
        Case("obs-fold continuation line", [A + b"Bearer", b" " + changed_last], None, parser_may_reject=True),
    ]


PARSER_REJECTED = "Invalid HTTP request, will close connection"


def _parser_rejections(server: Kagibag) -> int:
    return server.log().count(PARSER_REJECTED)


def _wait_for_parser_rejection(server: Kagibag, before: int, timeout: float = 5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _parser_rejections(server) > before:
            return True
        time.sleep(0.05)
    return False


def _assert_still_serving(server: Kagibag, key: bytes, after: str) -> None:
    assert server.process.poll() is None, (
        f"server exited ({server.process.returncode}) after {after}; log:\n{server.log_tail()}")
    answer = raw_get(server.port, [b"Authorization: Bearer " + key], EVENTS)
    assert answer.status == 200, f"valid key got {answer.status} {answer.body[:300]!r} after {after}"


def _judge(server: Kagibag, case: Case, a: Answer, rejections_before: int) -> str | None:
    """What is wrong with the answer to `case`, or None."""
    challenge = a.header(b"www-authenticate")
    if a.status is None:
        if not (case.parser_may_reject or case.oversized):
            return f"connection closed without a response ({a.error})"
        if not _wait_for_parser_rejection(server, rejections_before):
            return f"connection closed without a response and no {PARSER_REJECTED!r} in the log ({a.error})"
        return None
    if a.status >= 500:
        return f"server error {a.status}: {a.body[:300]!r}"
    if case.oversized and a.status == 431:
        return None  # the HTTP layer's header-size limit
    if a.status not in (400, 401):
        return f"status {a.status}, expected 400 or 401: {a.body[:200]!r}"
    if challenge is None:
        if case.parser_may_reject and a.status == 400:
            return None
        return f"{a.status} without a WWW-Authenticate challenge: {a.body[:200]!r}"
    if not challenge.startswith(CHALLENGE):
        return f"unexpected challenge {challenge!r}"
    if case.expect is not None and a.status != case.expect:
        return f"application answered {a.status}, expected {case.expect} ({challenge!r})"
    if not (a.header(b"content-type") or b"").startswith(b"application/problem+json"):
        return f"challenge without a problem+json body: {a.header(b'content-type')!r}"
    return None


def test_hostile_authorization_headers_are_refused_and_the_server_keeps_serving(module_server, hostile_keys):
    key, revoked = hostile_keys
    _assert_still_serving(module_server, key, "start-up")
    cases = hostile_cases(key, revoked)
    assert len(cases) >= 40
    outcomes: list[str] = []
    failures: list[str] = []
    for i, case in enumerate(cases, 1):
        before = _parser_rejections(module_server)
        a = raw_get(module_server.port, case.lines, EVENTS)
        problem = _judge(module_server, case, a, before)
        if a.status is None:
            outcome = "closed by the HTTP parser, no response"
        else:
            outcome = f"{a.status} {(a.header(b'www-authenticate') or b'(no challenge)').decode('latin-1')[:80]}"
        outcomes.append(f"#{i:02} {case.name}: {outcome}")
        if problem:
            failures.append(f"#{i} {case.name!r}: {problem}")
        # The valid key still works after every single case (and so the server is alive).
        _assert_still_serving(module_server, key, f"case #{i} {case.name!r}")
    print(f"{len(cases)} hostile Authorization headers:\n" + "\n".join(outcomes))
    assert not failures, "\n".join(failures) + f"\nlog:\n{module_server.log_tail(30)}"
    crashes = [line for line in module_server.crash_lines()
               if "CRITICAL" in line or "Fatal" in line or "runtime" in line]
    assert not crashes, "\n".join(crashes)


def test_the_key_is_accepted_around_optional_whitespace_and_with_any_scheme_case(module_server, hostile_keys):
    """Not hostile, the other side of the line: leading and trailing optional whitespace (SP/HTAB)
    is not part of a field value (RFC 9110 §5.5) and auth schemes are case-insensitive (§11.1)."""
    key, _ = hostile_keys
    for lines in ([b"Authorization:\tBearer " + key], [b"Authorization:    Bearer " + key],
                  [b"Authorization: Bearer " + key + b"  "], [b"Authorization: Bearer " + key + b"\t"],
                  [b"authorization: bearer " + key], [b"AUTHORIZATION: BEARER " + key]):
        a = raw_get(module_server.port, lines, EVENTS)
        assert a.status == 200, (lines, a.status, a.body[:300])


def test_no_authorization_header_is_a_plain_challenge(module_server):
    a = raw_get(module_server.port, [], EVENTS)
    assert a.status == 401
    assert a.header(b"www-authenticate") == CHALLENGE  # no error= when no credentials were sent


def test_requests_with_the_valid_key_still_work_through_a_normal_client(module_server, hostile_keys):
    key, _ = hostile_keys
    with http() as s:
        r = s.get(module_server.url + EVENTS, headers=auth(key.decode()), timeout=30)
    assert r.status_code == 200, r.text[:300]
    assert "data" in r.json()
