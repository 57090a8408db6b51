"""HTTP clients: requests sessions that stay on loopback, and raw bytes over a socket."""

from __future__ import annotations

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
