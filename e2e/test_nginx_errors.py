"""The shipped nginx (deploy/nginx.conf) in front of instances that are all down (#27, part 7):
on the API it answers its own 502 as a problem, like the instances' own errors, with
Retry-After, the request id (in the header and the body) and a type the API reference explains,
so that a generated client parses it; web pages keep nginx's page."""

from __future__ import annotations

from support.nginx import running_nginx
from support.processes import free_port


def test_with_no_instance_up_the_api_answers_a_problem_with_retry_after_and_the_request_id(tmp_path):
    nobody = free_port()  # nothing listens there: every instance is "down"
    with running_nginx(tmp_path / "nginx", [nobody], healthy=False) as nginx, nginx.session() as s:
        for method, path, body in [
            ("GET", "/api/v1/organizer/events", None),
            ("POST", "/api/v1/organizer/events", {"name": "Down"}),
            ("POST", "/api/v1/secret-scanning/github", []),
        ]:
            r = s.request(method, nginx.url + path, json=body, timeout=15,
                          headers={"Authorization": "Bearer kgb_x", "Accept": "application/json"})
            what = f"{method} {path}"
            assert r.status_code == 502, (what, r.status_code, r.text[:300])
            assert r.headers["Content-Type"].startswith("application/problem+json"), (what, r.headers)
            assert r.headers["Retry-After"] == "5", (what, r.headers)
            assert r.headers.get("Cache-Control") == "no-store", (what, r.headers)
            assert "Strict-Transport-Security" in r.headers, (what, r.headers)
            problem = r.json()
            assert problem["type"] == "/docs/api#unavailable" and problem["status"] == 502, (what, problem)
            assert problem["request_id"] == r.headers["Request-Id"] and problem["request_id"], (what, problem, r.headers)
            assert "," not in r.headers["Request-Id"], r.headers  # once, not twice
        # A web page is not the API's: nginx's own page.
        page = s.get(nginx.url + "/login", timeout=15)
        assert page.status_code == 502 and page.headers["Content-Type"].startswith("text/html"), page.headers


def test_port_80_redirects_to_https_but_leaves_certbots_webroot_challenge_alone(tmp_path):
    """certbot renews through http://HOST/.well-known/acme-challenge/…: a redirect to https there
    breaks renewal the day the certificate has expired."""
    nobody = free_port()
    with running_nginx(tmp_path / "nginx", [nobody], healthy=False) as nginx, nginx.session() as s:
        plain = f"http://127.0.0.1:{nginx.http_port}"
        page = s.get(plain + "/login", timeout=15, allow_redirects=False)
        assert page.status_code == 301 and page.headers["Location"].startswith("https://"), page.headers
        challenge = s.get(plain + "/.well-known/acme-challenge/some-token", timeout=15, allow_redirects=False)
        assert challenge.status_code == 404, (challenge.status_code, challenge.headers)
