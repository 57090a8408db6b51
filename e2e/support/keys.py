"""The API key format (kgb_ + 40 base62 + a 6-character base62 CRC32) and looking for leaked keys."""

from __future__ import annotations

import re
import zlib

KEY_RE = re.compile(r"^kgb_[0-9A-Za-z]{46}$")
BASE62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def base62(value: int, width: int) -> bytes:
    digits = bytearray(b"0" * width)
    for i in range(width - 1, -1, -1):
        value, r = divmod(value, 62)
        digits[i] = BASE62[r]
    return bytes(digits)


def with_checksum(body: bytes) -> bytes:
    """`body` (kgb_ + 40 base62) + its 6-character base62 CRC32: a well-formed key."""
    assert len(body) == 44
    return body + base62(zlib.crc32(body), 6)


def flip(c: int) -> int:
    """Another key character than `c`."""
    return ord("B") if c == ord("A") else ord("A")


def leaked(keys: list[str], data: bytes) -> list[str]:
    """Previews (…last4) of the keys found in data, whole or without their prefix."""
    return [
        "…" + key[-4:]
        for key in keys
        if key.encode() in data or key.removeprefix("kgb_").encode() in data
    ]
