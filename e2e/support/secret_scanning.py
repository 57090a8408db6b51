"""Leak reports as the tests send them: GitHub's side of secret scanning (a P-256 key made with
openssl, the public-key document GitHub would publish for it, signed reports) and the public
revocation endpoint."""

from __future__ import annotations

import base64
import json
import pathlib
import subprocess
import time
from dataclasses import dataclass

import requests

from support.http import http

GITHUB = "/api/v1/secret-scanning/github"
REVOKE = "/api/v1/credentials/revoke"
LEAK_URL = "https://github.com/acme/crm-sync/blob/4f2a9c1/.env"
LEAKED_DETAIL = "revoked because it was reported as leaked"


@dataclass
class PartnerKeys:
    """A stand-in for GitHub's signing key; `document` is what KAGIBAG_SECRET_SCANNING_KEYS names."""

    identifier: str
    private_key: pathlib.Path
    document: pathlib.Path

    def sign(self, body: bytes) -> str:
        """Base64 of the DER ECDSA P-256 / SHA-256 signature of `body`, as GitHub sends it."""
        der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(self.private_key)],
                             input=body, capture_output=True, check=True).stdout
        return base64.b64encode(der).decode()


def make_partner_keys(dir: pathlib.Path, identifier: str = "e2e-github-key") -> PartnerKeys:
    dir.mkdir(parents=True, exist_ok=True)
    private, public = dir / "github-signing-key.pem", dir / "github-public-key.pem"
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(private)],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "ec", "-in", str(private), "-pubout", "-out", str(public)],
                   check=True, capture_output=True)
    document = dir / "github-secret-scanning-keys.json"
    document.write_text(json.dumps({"public_keys": [
        {"key_identifier": identifier, "key": public.read_text(), "is_current": True}]}))
    return PartnerKeys(identifier, private, document)


def github_payload(tokens: list[str], url: str = LEAK_URL, source: str = "commit") -> bytes:
    return json.dumps([{"token": t, "type": "kagibag_api_key", "url": url, "source": source} for t in tokens]).encode()


def report_to_github(base: str, body: bytes, keys: PartnerKeys,
                     session: requests.Session | None = None) -> requests.Response:
    """POSTs `body` (see github_payload) to the partner endpoint, signed as GitHub signs it."""
    headers = {"Content-Type": "application/json", "GitHub-Public-Key-Identifier": keys.identifier,
               "GitHub-Public-Key-Signature": keys.sign(body)}
    return (session or http()).post(base + GITHUB, data=body, headers=headers, timeout=60)


def report_to_public_endpoint(base: str, credentials: list[str],
                              session: requests.Session | None = None) -> requests.Response:
    """POSTs the strings to the public revocation endpoint; waits out one 429 (other tests of the
    session may have used up this address's minute)."""
    s = session or http()
    for attempt in (1, 2):
        r = s.post(base + REVOKE, json={"credentials": credentials}, timeout=30)
        if r.status_code != 429 or attempt == 2:
            return r
        time.sleep(int(r.headers.get("Retry-After", "1")) + 0.5)
    return r
