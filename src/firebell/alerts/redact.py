"""Integration keys taken out of payloads before they are stored or shown.

Senders put their key in the body (PagerDuty's `routing_key` and `service_key`, Opsgenie's
`apiKey`); the raw payload kept for an alert would otherwise hand that key to everyone who can read
alerts. The value is replaced where it stands, so the rest of the text stays as received. Pure.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

# Words that make a member name key-like wherever they stand in it (`api_token`, `client_secret`,
# `x-api-key`, `bot_token`, `private_key`), in any case and with `-`, `_` or nothing inside two-word
# names. A bare `key`, `dedup_key`, `group_key` or `alias` is an alert's own label and stays.
_WORDS = (
    "token",
    "secret",
    "password",
    "passwd",
    "credential",
    "authorization",
    "api_key",
    "private_key",
    "access_key",
    "routing_key",
    "service_key",
    "integration_key",
    "genie_key",
)
# A JSON member whose name holds one of the words, and its string, number or array-of-strings value.
_MEMBER = re.compile(
    r'("(?i:[^"\\]*?(?:' + "|".join(w.replace("_", "[-_]?") for w in _WORDS) + r')[^"\\]*)"\s*:\s*)'
    r'("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|\[(?:\s*"(?:[^"\\]|\\.)*"\s*,?)*\s*\])'
)

# The words folded (lower case, no `-` or `_`), looked for first: most bodies hold none, and a
# substring search is far cheaper than the pattern.
_FOLDED = tuple(w.replace("_", "") for w in _WORDS)


def redact_keys(body: str) -> str:
    """`body` with the value of every key-like member replaced by the marker."""
    folded = body.lower().replace("_", "").replace("-", "")
    if not any(name in folded for name in _FOLDED):
        return body
    return _MEMBER.sub(lambda m: f'{m.group(1)}"{REDACTED}"', body)
