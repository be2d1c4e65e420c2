"""Playbooks: the phases and steps of responding to one type of incident (outage, security, data
loss, ...), and the checks a custom playbook written in YAML or JSON must pass.

Pure: the types, the bounds, validation with field paths (`phases.2.steps.0`), the checklist keys a
playbook's phases get on an incident, and the merge of the shipped playbooks with stored ones.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from firebell.kernel.errors import ValidationFailed

MAX_KEY = 24  # "playbook:" + key + ":" + phase key fits the 64 characters of a checklist's list key
MAX_PHASE_KEY = 24
MAX_NAME = 80
MAX_TYPE = 32
MAX_SUMMARY = 1000
MAX_PHASE_TITLE = 80
MAX_STEP = 300
MAX_PHASES = 10
MAX_STEPS_PER_PHASE = 30
MAX_STEPS = 150
LIST_PREFIX = "playbook:"

_KEY = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_TYPE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]*[a-z0-9])?$")
_FIELDS = {"key", "name", "incident_type", "summary", "phases"}
_PHASE_FIELDS = {"key", "title", "steps"}


@dataclass(frozen=True, slots=True)
class Phase:
    key: str  # "triage", "contain"
    title: str  # "Containment (0-15 min)"
    steps: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Playbook:
    key: str  # "security"
    name: str  # "Security incident"
    incident_type: str  # "security"; several playbooks may share a type
    summary: str
    phases: tuple[Phase, ...]

    @property
    def step_count(self) -> int:
        return sum(len(p.steps) for p in self.phases)

    def list_key(self, phase: Phase) -> str:
        """The list key the phase's checklist gets on an incident: `playbook:<key>:<phase>`."""
        return f"{LIST_PREFIX}{self.key}:{phase.key}"

    def list_title(self, phase: Phase) -> str:
        return f"{self.name}: {phase.title}"

    def describe(self) -> str:
        """How much it holds, as in "23 steps in 5 phases"."""
        steps, phases = self.step_count, len(self.phases)
        return f"{steps} step{'s' if steps != 1 else ''} in {phases} phase{'s' if phases != 1 else ''}"


class Source(StrEnum):
    BUILT_IN = "built-in"
    EDITED = "edited"  # a built-in changed by an operator
    CUSTOM = "custom"


@dataclass(frozen=True, slots=True)
class Listed:
    playbook: Playbook
    source: Source


def merged(built_in: Sequence[Playbook], stored: Iterable[Playbook]) -> list[Listed]:
    """The playbooks in use: the shipped ones in their order (a stored one of the same key replaces
    it), then the custom ones by name."""
    by_key = {p.key: p for p in stored}
    shipped = {p.key for p in built_in}
    found = [Listed(by_key.get(p.key, p), Source.EDITED if p.key in by_key else Source.BUILT_IN) for p in built_in]
    custom = sorted((p for k, p in by_key.items() if k not in shipped), key=lambda p: (p.name.lower(), p.key))
    return found + [Listed(p, Source.CUSTOM) for p in custom]


def short_key(text: str, limit: int) -> str:
    """A key from free text: lower-case words joined by hyphens, cut at a word boundary to `limit`."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    key = ""
    for word in words:
        candidate = f"{key}-{word}" if key else word
        if len(candidate) > limit:
            break
        key = candidate
    return key or (words[0][:limit] if words else "")


def step_key(text: str) -> str:
    """The checklist item key of a step (the same slug the incident checklists use)."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64]


# --- validation -----------------------------------------------------------------------------------


def parse_playbook(data: object, *, key: str | None = None) -> Playbook:
    """A playbook from its YAML or JSON document; `key` (from the URL) wins over a missing one and
    must match a given one. Raises ValidationFailed naming the field (`phases.2.steps.0`)."""
    if not isinstance(data, Mapping):
        raise ValidationFailed.field("body", "a playbook is a mapping with name, incident_type, summary and phases")
    _known(data, _FIELDS, "")
    stated = data.get("key")
    if stated is not None and key is not None and stated != key:
        raise ValidationFailed.field("key", f"{stated!r} does not match the playbook's key {key!r}")
    chosen = key if key is not None else stated
    if chosen is None:
        raise ValidationFailed.field("key", "give the playbook's key, e.g. payments-outage")
    name = _text(data.get("name"), "name", MAX_NAME)
    phases = _phases(data.get("phases"))
    if sum(len(p.steps) for p in phases) > MAX_STEPS:
        raise ValidationFailed.field("phases", f"at most {MAX_STEPS} steps in all")
    return Playbook(
        key=_key(chosen, "key", MAX_KEY, _KEY),
        name=name,
        incident_type=_key(data.get("incident_type"), "incident_type", MAX_TYPE, _TYPE),
        summary=_text(data.get("summary", ""), "summary", MAX_SUMMARY, required=False),
        phases=phases,
    )


def to_document(playbook: Playbook) -> dict[str, object]:
    """The playbook as JSON-ready data that `parse_playbook` reads back unchanged."""
    return {
        "key": playbook.key,
        "name": playbook.name,
        "incident_type": playbook.incident_type,
        "summary": playbook.summary,
        "phases": [{"key": p.key, "title": p.title, "steps": list(p.steps)} for p in playbook.phases],
    }


def _known(data: Mapping[object, object], allowed: set[str], at: str) -> None:
    unknown = sorted(str(k) for k in data if k not in allowed)
    if unknown:
        raise ValidationFailed.field(f"{at}{unknown[0]}", f"unknown field; use {', '.join(sorted(allowed))}")


def _text(value: object, field: str, limit: int, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed.field(field, "must be text")
    text = " ".join(value.split())
    if required and not text:
        raise ValidationFailed.field(field, "is empty")
    if len(text) > limit:
        raise ValidationFailed.field(field, f"at most {limit} characters")
    return text


def _key(value: object, field: str, limit: int, pattern: re.Pattern[str]) -> str:
    text = _text(value, field, limit)
    if not pattern.match(text):
        allowed = "lower-case letters, digits and hyphens" + (" or underscores" if pattern is _TYPE else "")
        raise ValidationFailed.field(field, f"{text!r}: use {allowed}, starting and ending with a letter or digit")
    return text


def _phases(value: object) -> tuple[Phase, ...]:
    if not isinstance(value, list) or not value:
        raise ValidationFailed.field("phases", "give a list of phases, each with a title and steps")
    if len(value) > MAX_PHASES:
        raise ValidationFailed.field("phases", f"at most {MAX_PHASES} phases")
    phases: list[Phase] = []
    for i, raw in enumerate(value):
        at = f"phases.{i}"
        if not isinstance(raw, Mapping):
            raise ValidationFailed.field(at, "a phase is a mapping with a title and steps")
        _known(raw, _PHASE_FIELDS, f"{at}.")
        title = _text(raw.get("title"), f"{at}.title", MAX_PHASE_TITLE)
        given = raw.get("key")
        key = short_key(title, MAX_PHASE_KEY) if given is None else _key(given, f"{at}.key", MAX_PHASE_KEY, _KEY)
        if not key:
            raise ValidationFailed.field(f"{at}.title", "needs a letter or digit to make the phase's key from")
        if any(p.key == key for p in phases):
            raise ValidationFailed.field(f"{at}.key", f"another phase has the key {key!r}; give this one its own")
        phases.append(Phase(key, title, _steps(raw.get("steps"), f"{at}.steps")))
    return tuple(phases)


def _steps(value: object, at: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise ValidationFailed.field(at, "give a list of steps, each one line of text")
    if len(value) > MAX_STEPS_PER_PHASE:
        raise ValidationFailed.field(at, f"at most {MAX_STEPS_PER_PHASE} steps in a phase")
    steps: list[str] = []
    seen: dict[str, int] = {}
    for j, raw in enumerate(value):
        text = _text(raw, f"{at}.{j}", MAX_STEP)
        slug = step_key(text)
        if not slug:
            raise ValidationFailed.field(f"{at}.{j}", "needs a letter or digit")
        if slug in seen:
            raise ValidationFailed.field(f"{at}.{j}", f"reads the same as {at}.{seen[slug]}; word it differently")
        seen[slug] = j
        steps.append(text)
    return tuple(steps)
