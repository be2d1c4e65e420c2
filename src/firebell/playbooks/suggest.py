"""Which playbooks fit an incident, and why: from its alerts' `category` label (the escalation
matrix's categories), and from the words of its title, impact and alert summaries.

Pure. A category label weighs more than a word in the title, which weighs more than a word
elsewhere; every playbook of a matching incident type is suggested, best match first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from firebell.playbooks.model import Listed

# Incident type -> the categories (as the escalation matrix names them) and the words that point to it.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "security": ("security", "secops", "infosec"),
    "data_loss": ("data issue", "data", "data corruption", "database"),
    "third_party": ("third-party", "vendor", "external", "dependency"),
    "performance": ("performance", "latency", "degradation"),
    "outage": ("app crash", "infra/cloud", "availability", "outage", "infrastructure"),
}
WORDS: dict[str, tuple[str, ...]] = {
    "security": (
        "breach",
        "breached",
        "leak",
        "leaked",
        "compromise",
        "compromised",
        "intrusion",
        "unauthorized",
        "unauthorised",
        "malware",
        "ransomware",
        "phishing",
        "exploit",
        "vulnerability",
        "cve",
        "credential",
        "credentials",
        "attack",
        "attacker",
    ),
    "data_loss": (
        "data loss",
        "lost data",
        "corruption",
        "corrupted",
        "corrupt",
        "deleted",
        "missing records",
        "data inconsistency",
        "inconsistent data",
        "dropped table",
        "restore",
        "backup",
    ),
    "third_party": (
        "vendor",
        "third-party",
        "third party",
        "provider",
        "upstream",
        "external api",
        "stripe",
        "twilio",
        "aws outage",
        "dependency",
    ),
    "performance": (
        "latency",
        "slow",
        "slowness",
        "degraded",
        "p99",
        "p95",
        "timeout",
        "timeouts",
        "response time",
        "saturation",
    ),
    "outage": (
        "down",
        "outage",
        "unavailable",
        "unreachable",
        "crash",
        "crashing",
        "crash loop",
        "5xx",
        "500s",
        "502",
        "503",
        "not responding",
    ),
}
CATEGORY_WEIGHT, TITLE_WEIGHT, TEXT_WEIGHT = 3, 2, 1


@dataclass(frozen=True, slots=True)
class Clues:
    title: str = ""
    impact: str = ""
    alert_summaries: Sequence[str] = ()
    labels: Sequence[Mapping[str, str]] = field(default_factory=tuple)  # one mapping per alert


@dataclass(frozen=True, slots=True)
class Suggestion:
    key: str
    name: str
    reason: str  # "an alert is labelled category: security"


def words_of(text: str) -> str:
    """Lower-case text with camelCase split, so the alert name `HighLatency` reads "high latency"."""
    return " ".join(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", text).lower().split())


def _mentions(text: str, word: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", text) is not None


# One pattern per incident type matching any of its words, so a text that mentions none (most alert
# summaries in a storm) costs one search per type instead of one per word.
_ANY_WORD = {
    kind: re.compile(rf"(?<![a-z0-9])(?:{'|'.join(re.escape(w) for w in words)})(?![a-z0-9])")
    for kind, words in WORDS.items()
}


def _norm(value: str) -> str:
    """`Third-Party`, `third_party` and `third party` are one category."""
    return " ".join(w for w in re.split(r"[\s_-]+", value.lower()) if w)


def incident_types(clues: Clues, known: Sequence[str] = ()) -> list[tuple[str, str]]:
    """(incident type, reason) for every type the clues point to, strongest first. A category label
    naming one of the `known` types (those of custom playbooks) points to it too."""
    scored: dict[str, tuple[int, str]] = {}
    names = {kind: {_norm(n) for n in (kind, *found)} for kind, found in CATEGORIES.items()}
    for kind in known:
        names.setdefault(kind, {_norm(kind)})

    def offer(kind: str, weight: int, reason: str) -> None:
        if kind not in scored or scored[kind][0] < weight:
            scored[kind] = (weight, reason)

    for labels in clues.labels:
        category = _norm(str(labels.get("category") or ""))
        for kind, accepted in names.items():
            if category and category in accepted:
                offer(kind, CATEGORY_WEIGHT, f"an alert is labelled category: {labels['category']}")
    texts = [(words_of(clues.title), TITLE_WEIGHT, "the title")]
    texts += [(words_of(clues.impact), TEXT_WEIGHT, "the impact")]
    texts += [(words_of(s), TEXT_WEIGHT, "an alert") for s in clues.alert_summaries]
    texts += [(words_of(str(lb.get("alertname") or "")), TEXT_WEIGHT, "an alert's name") for lb in clues.labels]
    for text, weight, where in dict.fromkeys(texts):  # a storm repeats itself: each text once
        for kind, words in WORDS.items():
            if not text or _ANY_WORD[kind].search(text) is None:
                continue
            said = next((w for w in words if _mentions(text, w)), None)
            if said is not None:
                offer(kind, weight, f"{where} says “{said}”")
    order = list(names)
    ranked = sorted(scored.items(), key=lambda item: (-item[1][0], order.index(item[0])))
    return [(kind, reason) for kind, (_weight, reason) in ranked]


def suggest(clues: Clues, playbooks: Sequence[Listed]) -> list[Suggestion]:
    """The playbooks whose incident type the clues point to, best match first, each with the reason."""
    found: list[Suggestion] = []
    for kind, reason in incident_types(clues, [p.playbook.incident_type for p in playbooks]):
        found += [
            Suggestion(p.playbook.key, p.playbook.name, reason) for p in playbooks if p.playbook.incident_type == kind
        ]
    return found
