"""HTTP clients: requests sessions that stay on loopback, and raw bytes over a socket."""

from __future__ import annotations

import selectors
import socket
import time
from dataclasses import dataclass

import requests
import requests.adapters


def http() -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # loopback only: never through a proxy
    return s


class FromAddress(requests.adapters.HTTPAdapter):
    """Connects from another loopback address (Linux routes all of 127/8 to lo), so that the
    client is not where nginx is."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


@dataclass
class Answer:
    status: int | None  # None: closed (or timed out) without a status line
    headers: dict[bytes, list[bytes]]
    body: bytes
    error: str = ""

    def header(self, name: bytes) -> bytes | None:
        values = self.headers.get(name.lower())
        return values[0] if values else None


def raw_get(port: int, header_lines: list[bytes], path: str, timeout: float = 20) -> Answer:
    """GET `path` on its own connection with exactly `header_lines` (each without CRLF) besides
    Host/Accept/Connection, as raw bytes: it may carry what `requests` refuses to send."""
    request = (f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: application/json\r\n").encode()
    for line in header_lines:
        request += line + b"\r\n"
    request += b"Connection: close\r\n\r\n"
    return _exchange(port, [request], pause=0, timeout=timeout)


def raw_post_in_pieces(port: int, path: str, header_lines: list[bytes], body: bytes, first: int,
                       pause: float = 0.3, timeout: float = 20) -> Answer:
    """POST `body` to `path` the way a browser sends a large form over a real network: the head
    with the first `first` bytes of the body, then, `pause` seconds later, the rest."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Length: {len(body)}\r\n").encode()
    for line in header_lines:
        head += line + b"\r\n"
    head += b"Connection: close\r\n\r\n"
    return _exchange(port, [head + body[:first], body[first:]], pause=pause, timeout=timeout)


def _exchange(port: int, chunks: list[bytes], pause: float, timeout: float) -> Answer:
    """Sends `chunks` on a new connection, `pause` seconds apart, and reads the answer."""
    data = b""
    error = ""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            for i, chunk in enumerate(chunks):
                if i:
                    time.sleep(pause)
                sock.sendall(chunk)
        except OSError as e:  # the server may answer (and close) before reading all of a huge header
            error = f"send: {e!r}"
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                data += chunk
                head, sep, rest = data.partition(b"\r\n\r\n")
                if sep:
                    length = _content_length(head)
                    if length is not None and len(rest) >= length:
                        break
        except OSError as e:
            error += f" recv: {e!r}"
    return parse_answer(data, error)


def parse_answer(data: bytes, error: str = "") -> Answer:
    """The Answer in the bytes a connection received (status None if they hold no status line)."""
    head, sep, body = data.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 "):
        return Answer(None, {}, data, error or "no response")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ")[1])
    headers: dict[bytes, list[bytes]] = {}
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        headers.setdefault(name.strip().lower(), []).append(value.strip())
    return Answer(status, headers, body, error)


def _content_length(head: bytes) -> int | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value.strip())
    return None


# --- uploads that stall ------------------------------------------------------------------------------


@dataclass
class Stalled:
    """A connection that sent a request's head and the first bytes of its body, and no more:
    what it has received since, and when (time.monotonic()) the answer's head came."""

    sock: socket.socket
    sent_at: float
    received: bytes = b""
    answered_at: float | None = None
    closed_at: float | None = None  # when the server closed it (or reading it failed)
    error: str = ""

    @property
    def answer(self) -> Answer:
        return parse_answer(self.received, self.error)

    @property
    def seconds(self) -> float | None:
        """How long after sending its head the answer's head came."""
        return None if self.answered_at is None else self.answered_at - self.sent_at

    def complete(self) -> bool:
        """The server closed it, or its whole answer (head and Content-Length body) came."""
        if self.closed_at is not None:
            return True
        head, sep, rest = self.received.partition(b"\r\n\r\n")
        length = _content_length(head) if sep else None
        return length is not None and len(rest) >= length


def stall_upload(port: int, path: str, header_lines: list[bytes], content_length: int, first: bytes) -> Stalled:
    """Opens a connection and sends a POST's head, saying `Content-Length: content_length`, with
    `header_lines` (each without CRLF) and only `first` of the body; then sends nothing more."""
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Content-Length: {content_length}\r\n").encode()
    for line in header_lines:
        head += line + b"\r\n"
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(head + b"\r\n" + first)
    sent_at = time.monotonic()
    sock.setblocking(False)
    return Stalled(sock, sent_at)


def read_answers(uploads: list[Stalled], timeout: float, until_closed: bool = False) -> None:
    """Reads what the server sends on `uploads` until each is complete() (with `until_closed`:
    closed by the server) or `timeout` s have passed, noting when each answer's head came; sends
    nothing (a thread may run it while the test does other things). The sockets stay open:
    close_all() closes them."""
    def done(upload: Stalled) -> bool:
        return upload.closed_at is not None if until_closed else upload.complete()

    selector = selectors.DefaultSelector()
    for upload in uploads:
        if not done(upload):
            selector.register(upload.sock, selectors.EVENT_READ, upload)
    deadline = time.monotonic() + timeout
    try:
        while selector.get_map() and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=0.2):
                upload: Stalled = key.data
                try:
                    chunk = upload.sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError as e:
                    chunk, upload.error = b"", repr(e)
                now = time.monotonic()
                if chunk:
                    upload.received += chunk
                    if upload.answered_at is None and b"\r\n\r\n" in upload.received:
                        upload.answered_at = now
                else:
                    upload.closed_at = now
                if done(upload):
                    selector.unregister(upload.sock)
    finally:
        selector.close()


def close_all(uploads: list[Stalled]) -> None:
    for upload in uploads:
        upload.sock.close()
