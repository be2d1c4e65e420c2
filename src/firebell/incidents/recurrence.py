"""What makes two incidents the same problem, for the recurrence rate. Pure.

An incident opened by an alert recurs under that alert's name (its `alertname`, else its summary);
one declared by hand under its title. Either is compared without its `[SEV-X]` tag, case or spacing,
and always within one service.
"""

from __future__ import annotations

import re
from datetime import timedelta

RECURRENCE_WINDOW = timedelta(days=90)  # an incident like one of the 90 days before it recurs
_TAG = re.compile(r"^\[[^\]]*\]\s*")
MAX_KEY = 255


def recurrence_key(name_or_title: str) -> str:
    return " ".join(_TAG.sub("", name_or_title).lower().split())[:MAX_KEY]
