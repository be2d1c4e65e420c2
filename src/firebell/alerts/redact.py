"""Integration keys taken out of payloads before they are stored or shown.

Senders put their key in the body (PagerDuty's `routing_key` and `service_key`, Opsgenie's
`apiKey`); the raw payload kept for an alert would otherwise hand that key to everyone who can read
alerts. The value is replaced where it stands, so the rest of the text stays as received. Pure.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"

_NAMES = (
    "routing_key|service_key|integration_key|integration_keys|api_key|apikey|genie_key|geniekey"
    "|access_token|auth_token|token|secret|password|authorization"
)
# A JSON member with one of those names (any case, `-` or `_` or nothing between words) and a
# string, number or array-of-strings value.
_MEMBER = re.compile(
    r'("(?i:' + _NAMES.replace("_", "[-_]?") + r')"\s*:\s*)'
    r'("(?:[^"\\]|\\.)*"|-?\d[\d.eE+-]*|\[(?:\s*"(?:[^"\\]|\\.)*"\s*,?)*\s*\])'
)


# The names folded (lower case, no `-` or `_`), looked for first: most bodies hold none, and a
# substring search is far cheaper than the pattern (`token"` also finds `access_token"`).
_FOLDED = (
    "routingkey",
    "servicekey",
    "integrationkey",
    "apikey",
    "geniekey",
    'token"',
    'secret"',
    'password"',
    'authorization"',
)


def redact_keys(body: str) -> str:
    """`body` with the value of every key-like member replaced by the marker."""
    folded = body.lower().replace("_", "").replace("-", "")
    if not any(name in folded for name in _FOLDED):
        return body
    return _MEMBER.sub(lambda m: f'{m.group(1)}"{REDACTED}"', body)
