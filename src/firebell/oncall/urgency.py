"""Urgency, pure: whether a severity pages at once, waits for working hours, or opens a follow-up.

The playbook covers SEV-1 and SEV-2 around the clock and SEV-3 and SEV-4 in business hours, and
sends SEV-4 to a ticket rather than a person. A service may say otherwise for each severity, and a
policy level may say otherwise again for itself (its own word wins).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from firebell.kernel.severity import Sev


class Urgency(StrEnum):
    PAGE = "page"  # page at once, at any hour
    WORKING_HOURS = "working_hours"  # page when the person's (or the service's) working day starts
    FOLLOW_UP = "follow_up"  # page nobody: open a follow-up to handle in the normal course of work


DEFAULT_URGENCY: Mapping[Sev, Urgency] = {
    Sev.SEV1: Urgency.PAGE,
    Sev.SEV2: Urgency.PAGE,
    Sev.SEV3: Urgency.WORKING_HOURS,
    Sev.SEV4: Urgency.FOLLOW_UP,
}

WHY = {
    Urgency.PAGE: "pages at once, at any hour",
    Urgency.WORKING_HOURS: "waits for working hours",
    Urgency.FOLLOW_UP: "opens a follow-up and pages nobody",
}


def parse_urgency_map(raw: Mapping[str, object], field: str = "urgency") -> dict[Sev, Urgency]:
    """{"SEV-3": "page"} as typed values; a bad key or value raises ValueError naming `field`."""
    found: dict[Sev, Urgency] = {}
    for key, value in raw.items():
        try:
            sev = Sev.parse(str(key))
        except ValueError as exc:
            raise ValueError(f"{field}.{key}: {exc}") from None
        try:
            found[sev] = Urgency(str(value))
        except ValueError:
            raise ValueError(f"{field}.{key}: use page, working_hours or follow_up, not {value!r}") from None
    return found


def urgency_doc(values: Mapping[Sev, Urgency]) -> dict[str, str]:
    return {sev.value: values[sev].value for sev in sorted(values, key=lambda s: s.rank)}


def urgency_for(sev: Sev, service: Mapping[Sev, Urgency], level: Mapping[Sev, Urgency] | None = None) -> Urgency:
    """The level's word for `sev`, else the service's, else the playbook's."""
    if level and sev in level:
        return level[sev]
    return service.get(sev, DEFAULT_URGENCY[sev])
