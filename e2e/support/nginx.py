"""nginx in front of kagibag instances, rendered from deploy/nginx.conf, with a throwaway
self-signed certificate for 127.0.0.1; everything on loopback."""

from __future__ import annotations

import contextlib
import pathlib
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import requests

from support.http import http
from support.processes import end, free_port, tail
from support.tools import NGINX, REPO

TEMPLATE = REPO / "deploy" / "nginx.conf"
# One line of the access log deploy/nginx.conf writes.
ACCESS_LINE_RE = re.compile(
    r'"(?P<method>[A-Z]+) (?P<uri>\S+) [^"]*" (?P<status>\d+) .*?upstream=(?P<upstream>\S+) '
    r".*?request_id=(?P<rid>[0-9a-f]+)"
)


@dataclass
class Nginx:
    prefix: pathlib.Path
    https_port: int
    http_port: int
    cert: pathlib.Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"

    @property
    def access_log(self) -> pathlib.Path:
        return self.prefix / "logs" / "access.log"

    @property
    def error_log(self) -> pathlib.Path:
        return self.prefix / "logs" / "error.log"

    def access_lines(self) -> list[re.Match]:
        try:
            text = self.access_log.read_text(errors="replace")
        except OSError:
            return []
        return [m for m in map(ACCESS_LINE_RE.search, text.splitlines()) if m]

    def wait_for_round_robin(self, ports: list[int], timeout: float = 20) -> None:
        """Probes /healthz until one round of requests reaches every upstream port (a restarted
        instance stays parked for fail_timeout after a refused connection); gives up after `timeout`."""
        wanted = {str(p) for p in ports}
        deadline = time.monotonic() + timeout
        probe = self.session()
        while True:
            mark = len(self.access_lines())
            for _ in range(len(wanted)):
                probe.get(self.url + "/healthz", timeout=10)
            recent = {m["upstream"].rsplit(":", 1)[-1] for m in self.access_lines()[mark:]}
            if recent >= wanted or time.monotonic() > deadline:
                return
            time.sleep(0.5)

    def session(self) -> requests.Session:
        """A session that trusts this nginx's certificate."""
        s = http()
        s.verify = str(self.cert)
        return s


def render_conf(https_port: int, http_port: int, cert: pathlib.Path, key: pathlib.Path,
                upstream_ports: list[int]) -> str:
    """deploy/nginx.conf with every placeholder filled (and failing if one is unknown or gone)."""
    upstreams = "\n        ".join(
        f"server 127.0.0.1:{port} max_fails=1 fail_timeout=10s;" for port in upstream_ports
    )
    values = {
        "LISTEN_HTTPS": f"127.0.0.1:{https_port}",
        "LISTEN_HTTP": f"127.0.0.1:{http_port}",
        "TLS_CERTIFICATE": str(cert),
        "TLS_KEY": str(key),
        "UPSTREAMS": upstreams,
    }
    used: set[str] = set()

    def fill(line: str) -> str:
        if line.lstrip().startswith("#"):
            return line  # the comments name the placeholders
        for name in re.findall(r"\{\{(\w+)\}\}", line):
            assert name in values, f"deploy/nginx.conf has a placeholder the test does not fill: {name}"
            used.add(name)
            line = line.replace("{{" + name + "}}", values[name])
        return line

    text = "".join(fill(line) for line in TEMPLATE.read_text().splitlines(keepends=True))
    assert used == set(values), f"deploy/nginx.conf lost placeholders: {set(values) - used}"
    return text


def _self_signed_certificate(cert: pathlib.Path, key: pathlib.Path) -> None:
    run = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        capture_output=True, text=True, timeout=30,
    )
    assert run.returncode == 0, f"openssl failed: {run.stderr}"


def _wait_healthy(nginx: Nginx, any_answer: bool = False) -> None:
    deadline = time.monotonic() + 20
    with nginx.session() as s:
        while True:
            if nginx.process.poll() is not None:
                pytest.fail(f"nginx exited with {nginx.process.returncode}:\n{tail(nginx.error_log)}", pytrace=False)
            try:
                if s.get(nginx.url + "/healthz", timeout=2).status_code == 200 or any_answer:
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"nginx did not answer /healthz:\n{tail(nginx.error_log)}", pytrace=False)
            time.sleep(0.1)


@contextlib.contextmanager
def running_nginx(prefix: pathlib.Path, upstream_ports: list[int], healthy: bool = True) -> Iterator[Nginx]:
    """nginx with its own prefix directory (conf, certificate, logs), answering /healthz through
    the upstreams (with healthy=False: answering at all, the upstreams may be down); stopped
    gracefully (SIGQUIT) afterwards."""
    (prefix / "logs").mkdir(parents=True)
    (prefix / "temp").mkdir()
    # Run as root, nginx's workers drop to `nobody`: they must reach the temp directories
    # (the master creates and chowns those; the files in logs/ are opened by the master).
    for path in (prefix, prefix / "temp"):
        path.chmod(0o755)
    cert, key = prefix / "cert.pem", prefix / "key.pem"
    _self_signed_certificate(cert, key)
    https_port, http_port = free_port(), free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(render_conf(https_port, http_port, cert, key, upstream_ports))
    base = [str(NGINX), "-p", f"{prefix}/", "-c", str(conf), "-e", str(prefix / "logs" / "error.log")]
    check = subprocess.run([*base, "-t"], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, f"nginx -t rejected deploy/nginx.conf:\n{check.stderr}"
    nginx = Nginx(prefix, https_port, http_port, cert)
    with open(prefix / "logs" / "stdout.log", "ab") as out:
        nginx.process = subprocess.Popen([*base, "-g", "daemon off;"], stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(nginx, any_answer=not healthy)
        yield nginx
    finally:
        end(nginx.process, signal.SIGQUIT, timeout=10)  # SIGQUIT: graceful
