"""The responder's verdict on an alert: it needed no action (a false positive) or it was actionable.

Pure: reading what people type, the stored values of a verdict or of clearing one, and the words
the incident timeline records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from firebell.kernel.choices import parse_choice
from firebell.kernel.errors import ValidationFailed


class Verdict(StrEnum):
    NO_ACTION = "no_action"
    ACTIONABLE = "actionable"

    @property
    def label(self) -> str:
        return "no action needed" if self is Verdict.NO_ACTION else "actionable"


# Keys as parse_choice normalizes them: lower case, spaces and dashes as underscores.
_ALIASES = {
    "no_action_needed": "no_action",
    "noaction": "no_action",
    "noise": "no_action",
    "false_positive": "no_action",
    "fp": "no_action",
    "not_actionable": "no_action",
    "real": "actionable",
    "action_needed": "actionable",
    "true_positive": "actionable",
}
_CLEAR = frozenset({"clear", "none", "null", "unset", "reset"})


def parse_verdict(text: str, *, field: str = "verdict") -> Verdict:
    """The verdict `text` names ("no-action", "noise", "false positive", "real"...), or ValidationFailed."""
    try:
        return parse_choice(Verdict, text, field=field, aliases=_ALIASES)
    except ValidationFailed:
        raise ValidationFailed.field(field, "use no-action or actionable") from None


def parse_verdict_or_clear(text: str, *, field: str = "verdict") -> Verdict | None:
    """Like `parse_verdict`, with "clear" (or "none") meaning: take the verdict back (None)."""
    if text.strip().lower() in _CLEAR:
        return None
    try:
        return parse_verdict(text, field=field)
    except ValidationFailed:
        raise ValidationFailed.field(field, "use no-action, actionable or clear") from None


@dataclass(frozen=True, slots=True)
class JudgedAlert:
    """What a verdict change needs to know of an alert."""

    alert_id: str
    name: str
    incident_id: str | None
    verdict: Verdict | None


def stored_verdict(verdict: Verdict | None, *, actor: str, at: datetime) -> dict[str, object]:
    """The alert columns for `verdict`; clearing forgets who said what and when, too."""
    if verdict is None:
        return {"verdict": None, "verdict_by": "", "verdict_at": None}
    return {"verdict": verdict.value, "verdict_by": actor[:200], "verdict_at": at}


def changed(alerts: list[JudgedAlert], verdict: Verdict | None) -> list[JudgedAlert]:
    """The alerts whose verdict `verdict` would change (saying it again is not news)."""
    return [a for a in alerts if a.verdict is not verdict]


def alert_message(alert: JudgedAlert, verdict: Verdict | None, *, actor: str, note: str = "") -> str:
    """The timeline entry for one alert: "Alert 'HighLatency' marked no action needed by alice"."""
    name = alert.name[:200] or alert.alert_id
    what = f"marked {verdict.label}" if verdict is not None else "verdict cleared"
    return f"Alert '{name}' {what} by {actor}" + _noted(note)


def incident_message(count: int, verdict: Verdict | None, *, actor: str, note: str = "") -> str:
    """The timeline entry for marking every alert of an incident at once (`count` alerts in all)."""
    alerts = "1 alert" if count == 1 else f"{count} alerts"
    if verdict is None:
        return f"Verdicts cleared on every alert of the incident ({alerts}) by {actor}" + _noted(note)
    return f"Every alert of the incident ({alerts}) marked {verdict.label} by {actor}" + _noted(note)


def _noted(note: str) -> str:
    text = " ".join(note.split())[:500]
    return f": {text}" if text else ""
