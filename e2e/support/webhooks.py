"""A webhook receiver on 127.0.0.1 and the web form that points a team at it, for test_webhooks and
test_webhooks_cluster. Deliveries are verified with the reference Standard Webhooks library
(`standardwebhooks`) in the tests, never with our own code."""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from support.web import WebClient

HOOKS = "/admin/team/webhooks"
WEBHOOK_ID = re.compile(r"msg_[0-9a-f]{32}")
SECRET_RE = re.compile(r'<textarea id="webhook-secret"[^>]*>(whsec_[A-Za-z0-9+/=]+)</textarea>')
ENDPOINT_RE = re.compile(HOOKS + r"/([0-9a-f-]{36})/test")


@dataclass
class Delivery:
    headers: dict[str, str]  # names in lower case, as standardwebhooks wants them
    body: bytes
    at: float  # time.monotonic() when it arrived
    seq: int  # arrival order at the receiver
    status: int  # what the receiver answered; 0 for one held unanswered while its sender was killed

    @property
    def id(self) -> str:
        return self.headers.get("webhook-id", "")

    @property
    def type(self) -> str:
        return json.loads(self.body)["type"]

    @property
    def data(self) -> dict:
        return json.loads(self.body)["data"]

    @property
    def data_id(self) -> str | None:
        return self.data.get("id")

    @property
    def answered(self) -> bool:
        return self.status != 0


class Receiver:
    """Records every POST and answers `status` (204 unless told). A subclass may hold an answer
    back (`holds`, `hold`). Each answer closes its connection (HTTP/1.0), so a closed receiver
    gets nothing more; `keep_alive` lets senders reuse connections."""

    keep_alive = False

    def __init__(self) -> None:
        self.status = 204
        self.deliveries: list[Delivery] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1" if receiver.keep_alive else "HTTP/1.0"

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                with receiver.lock:
                    status = receiver.status
                    d = Delivery(headers, body, time.monotonic(), len(receiver.deliveries), status)
                    receiver.deliveries.append(d)
                    hold = receiver.holds(d)
                if hold:
                    receiver.hold(d, self.client_address[1], self.server.server_address[1])
                answer = b"" if status == 204 else b"down for maintenance"
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                    self.wfile.flush()
                except OSError:
                    pass  # the sender is gone

            def log_message(self, *args) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                pass  # a write to a killed sender

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def holds(self, delivery: Delivery) -> bool:
        """Whether to hold this delivery's answer back (asked under the lock as it arrives)."""
        return False

    def hold(self, delivery: Delivery, sender_port: int, own_port: int) -> None:
        """Holds a delivery's answer back (outside the lock) until it returns."""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}/hooks/kagibag"

    def received(self) -> list[Delivery]:
        with self.lock:
            return list(self.deliveries)

    def wait_for(self, done, what: str, timeout: float = 20) -> list[Delivery]:
        """The deliveries so far, once `done(them)` holds (fails after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while not done(got := self.received()):
            assert time.monotonic() < deadline, f"{what}: not within {timeout}s; got {[d.type for d in got]}"
            time.sleep(0.05)
        return got

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def post_endpoint(web: WebClient, base: str, url: str, types: list[str] | None = None):
    """Posts the Add endpoint form (all types unless `types`); returns the answer."""
    _, csrf = web.form(base, HOOKS + "/new")
    fields = [("_csrf", csrf), ("url", url), ("description", "Test receiver")]
    fields += [("all_types", "on")] if types is None else [("types[]", t) for t in types]
    return web.post(base, HOOKS, fields)


def add_endpoint(web: WebClient, base: str, url: str) -> tuple[str, str]:
    """Adds an endpoint for every type; returns (its id, its signing secret, shown once)."""
    r = post_endpoint(web, base, url)
    assert r.status_code == 201, (r.status_code, r.text[:500])
    assert "no-store" in r.headers.get("Cache-Control", ""), r.headers
    return ENDPOINT_RE.search(r.text).group(1), SECRET_RE.search(r.text).group(1)
