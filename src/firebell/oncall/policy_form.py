"""The policy editor's form, pure: a policy document as form fields and back, and the editing steps
(add, remove and move a level, add a target) a form without JavaScript asks the server for.

The form only translates: minutes become durations and chosen targets become names. Whether the
result is a valid policy is decided where every other path decides it (`config_file.load` and
`service.apply`); their error fields name form fields through `form_field`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from firebell.kernel.errors import ValidationFailed
from firebell.kernel.severity import Sev
from firebell.oncall.escalation import parse_duration
from firebell.oncall.urgency import Urgency

SEVERITIES = tuple(s.value for s in Sev)
URGENCIES = tuple(u.value for u in Urgency)
UNRESOLVED_MODES = ("default", "off", "custom")  # the playbook's default, none, or as the rows say
NEXT_LEVEL = "next_level"
TARGET_KINDS = ("schedule", "team", "user", "other")  # other: a name the lists do not hold (current_on_call)
DEFAULT_MINUTES = "15"
_LEVEL_FIELD = re.compile(r"^level-(\d{1,2})-")
_ERROR_LEVEL = re.compile(r"^levels\[(\d+)\](?:\.(\w+))?")
_ERROR_UNRESOLVED = re.compile(r"^unresolved\.(SEV-\d)")


@dataclass(frozen=True, slots=True)
class LevelForm:
    targets: tuple[str, ...] = ("",)  # "kind:name" as the select lists send them; "" is an unchosen one
    timeout: str = DEFAULT_MINUTES  # minutes as typed, or a duration (90s) the minutes cannot say
    action: str = ""
    severities: tuple[str, ...] = ()  # none ticked: every severity
    urgency: tuple[tuple[str, str], ...] = ()  # (severity, urgency) this level says over the service's


@dataclass(frozen=True, slots=True)
class PolicyForm:
    name: str
    team: str = ""
    repeat: str = "0"
    acknowledgement_timeout: str = ""  # minutes; empty: never page the acknowledger again
    unresolved_mode: str = "default"
    unresolved: tuple[tuple[str, str, str], ...] = ()  # (severity, minutes, whom: a target value or next_level)
    levels: tuple[LevelForm, ...] = field(default_factory=lambda: (LevelForm(),))

    def unresolved_of(self, sev: str) -> tuple[str, str]:
        """The minutes and whom for `sev` ("" and next_level when the rows say nothing)."""
        found = next((row for row in self.unresolved if row[0] == sev), None)
        return (found[1], found[2]) if found else ("", NEXT_LEVEL)


def minutes(duration: str) -> str:
    """`15m` as `15`, `2h` as `120`; a duration of no whole minutes stays as it is (`90s`)."""
    seconds = int(parse_duration(duration).total_seconds())
    return str(seconds // 60) if seconds % 60 == 0 else duration


def duration(text: str) -> str:
    """What the minutes field means: `15` is `15m`; anything else is passed on for the rules to judge."""
    text = text.strip()
    return f"{int(text)}m" if text.isdigit() else text


def target_value(name: str, *, schedules: Sequence[str], teams: Sequence[str], people: Sequence[str]) -> str:
    """The select value for a target name, found as `apply` finds it: schedule, team, then person."""
    for kind, names in (("schedule", schedules), ("team", teams), ("user", people)):
        if name in names:
            return f"{kind}:{name}"
    return f"other:{name}"


def from_document(
    document: Mapping[str, Any], *, schedules: Sequence[str], teams: Sequence[str], people: Sequence[str]
) -> PolicyForm:
    """A stored policy (as `export.policy_document` gives it) as the form shows it."""
    levels = []
    for level in document.get("levels") or []:
        targets = tuple(
            target_value(str(t), schedules=schedules, teams=teams, people=people) for t in level.get("targets") or []
        )
        levels.append(
            LevelForm(
                targets=targets or ("",),
                timeout=minutes(str(level.get("timeout") or "30m")),
                action=str(level.get("action") or ""),
                severities=tuple(str(s) for s in level.get("severities") or ()),
                urgency=tuple(sorted((str(k), str(v)) for k, v in (level.get("urgency") or {}).items())),
            )
        )
    ack = document.get("acknowledgement_timeout")
    unresolved = document.get("unresolved")
    rows = tuple(
        (
            str(sev),
            minutes(str(rule["after"])),
            target_value(str(rule["page"]), schedules=schedules, teams=teams, people=people)
            if rule.get("page") and rule["page"] != NEXT_LEVEL
            else NEXT_LEVEL,
        )
        for sev, rule in sorted((unresolved or {}).items())
    )
    mode = "default" if unresolved is None else ("custom" if unresolved else "off")
    return PolicyForm(
        name=str(document.get("name") or ""),
        team=str(document.get("team") or ""),
        repeat=str(document.get("repeat") or 0),
        acknowledgement_timeout=minutes(str(ack)) if ack else "",
        unresolved_mode=mode,
        unresolved=rows,
        levels=tuple(levels) or (LevelForm(),),
    )


def from_fields(fields: Mapping[str, Sequence[str]]) -> PolicyForm:
    """The form as posted (each name with all its values); levels in the order of their numbers."""

    def one(name: str) -> str:
        values = fields.get(name) or [""]
        return values[0]

    numbers = sorted({int(m.group(1)) for name in fields if (m := _LEVEL_FIELD.match(name))})
    levels = tuple(
        LevelForm(
            targets=tuple(fields.get(f"level-{n}-target") or ("",)),
            timeout=one(f"level-{n}-timeout"),
            action=one(f"level-{n}-action"),
            severities=tuple(s for s in fields.get(f"level-{n}-severity") or () if s in SEVERITIES),
            urgency=tuple((sev, u) for sev in SEVERITIES if (u := one(f"level-{n}-urgency-{sev}"))),
        )
        for n in numbers
    )
    unresolved = tuple(
        (sev, one(f"unresolved-{sev}-after"), one(f"unresolved-{sev}-page") or NEXT_LEVEL)
        for sev in SEVERITIES
        if one(f"unresolved-{sev}-after").strip()
    )
    return PolicyForm(
        name=one("name").strip(),
        team=one("team"),
        repeat=one("repeat"),
        acknowledgement_timeout=one("acknowledgement_timeout"),
        unresolved_mode=one("unresolved") or "default",
        unresolved=unresolved,
        levels=levels,
    )


def edit(form: PolicyForm, op: str) -> PolicyForm:
    """One editing step: `add`, or `remove-N`, `up-N`, `down-N`, `add-target-N` for level N (0-based)."""
    levels = list(form.levels)
    if op == "add":
        return replace(form, levels=(*levels, LevelForm()))
    verb, _, number = op.rpartition("-")
    if not number.isdigit() or not 0 <= int(number) < len(levels):
        raise ValidationFailed.field("op", f"no such editing step: {op!r}")
    i = int(number)
    if verb == "remove":
        del levels[i]
    elif verb == "up" and i > 0:
        levels[i - 1], levels[i] = levels[i], levels[i - 1]
    elif verb == "down" and i + 1 < len(levels):
        levels[i], levels[i + 1] = levels[i + 1], levels[i]
    elif verb == "add-target":
        levels[i] = replace(levels[i], targets=(*levels[i].targets, ""))
    elif verb not in ("up", "down"):
        raise ValidationFailed.field("op", f"no such editing step: {op!r}")
    return replace(form, levels=tuple(levels))


def to_document(form: PolicyForm) -> dict[str, Any]:
    """The policy document `apply` reads, from the form (empty fields left out, so defaults apply)."""
    levels = []
    for i, level in enumerate(form.levels):
        if not level.timeout.strip():
            raise ValidationFailed.field(f"levels[{i}].timeout", "give the minutes this level waits, as in 15")
        out: dict[str, Any] = {
            "targets": [value.partition(":")[2] or value for value in level.targets if value],
            "timeout": duration(level.timeout),
        }
        if level.action.strip():
            out["action"] = level.action.strip()
        if level.severities:
            out["severities"] = list(level.severities)
        if level.urgency:
            out["urgency"] = dict(level.urgency)
        levels.append(out)
    document: dict[str, Any] = {"name": form.name}
    if form.team:
        document["team"] = form.team
    repeat = form.repeat.strip() or "0"
    document["repeat"] = int(repeat) if repeat.isdigit() else repeat
    document["levels"] = levels
    if form.unresolved_mode not in UNRESOLVED_MODES:
        raise ValidationFailed.field("unresolved", f"choose {', '.join(UNRESOLVED_MODES)}")
    if form.unresolved_mode != "default":
        document["unresolved"] = {
            sev: {"after": duration(after)} | ({} if whom == NEXT_LEVEL else {"page": whom.partition(":")[2] or whom})
            for sev, after, whom in (form.unresolved if form.unresolved_mode == "custom" else ())
        }
    if form.acknowledgement_timeout.strip():
        document["acknowledgement_timeout"] = duration(form.acknowledgement_timeout)
    return document


def check_shadowed(form: PolicyForm, *, schedules: Sequence[str], teams: Sequence[str]) -> None:
    """Refuse a team or person chosen under a name that a schedule (or, for a person, a team) also
    has: a policy names its targets, and the name would page the schedule or team instead."""
    for i, level in enumerate(form.levels):
        for value in level.targets:
            kind, _, name = value.partition(":")
            before = {"team": [("schedule", schedules)], "user": [("schedule", schedules), ("team", teams)]}
            for other, names in before.get(kind, []):
                if name in names:
                    raise ValidationFailed.field(
                        f"levels[{i}].targets",
                        f"{name!r} is also a {other}'s name, and the {other} is what would be paged: rename one",
                    )


def form_field(error_field: str) -> str:
    """The form field an error of the policy's rules is about (`levels[1].timeout`: `level-1-timeout`);
    "" when it is about the policy as a whole."""
    field_name = error_field.removeprefix("escalation_policies[0]").lstrip(".")
    if match := _ERROR_UNRESOLVED.match(field_name):
        return f"unresolved-{match.group(1)}"
    if match := _ERROR_LEVEL.match(field_name):
        part = match.group(2)
        return f"level-{match.group(1)}-{part}" if part else f"level-{match.group(1)}"
    head = re.split(r"[.\[]", field_name, maxsplit=1)[0]
    return head if head in ("name", "team", "repeat", "acknowledgement_timeout", "unresolved") else ""
