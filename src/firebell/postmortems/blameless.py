"""The blamelessness check: passages of a postmortem's analysis that point at people, not systems.

Pure. It reads the analysis sections (what happened, the whys, root causes, what could be improved,
lessons) and flags blaming words and a named person given as the cause, each with the principle
it goes against, so the writer can reword it. It is advice with a reason, and Final waits for it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

SYSTEMS = "Focus on systems, not people: ask what happened and how, not who."
INTENT = "Assume good intentions: everyone acted in good faith on what they knew at the time."
LEARNING = "Learn from failure: the goal is to improve, not to find fault."

# (pattern, what it is, principle). Word boundaries keep "default of" from matching "fault of".
_WORDS: tuple[tuple[str, str, str], ...] = (
    (r"\b(?:the\s+)?fault\s+of\b", "assigns fault", LEARNING),
    (r"\b(?:his|her|their|my|your|our)\s+fault\b", "assigns fault", LEARNING),
    (r"\bto\s+blame\b|\bblam(?:e|ed|es|ing)\b", "assigns blame", LEARNING),
    (r"\bcareless(?:ly|ness)?\b", "judges care", INTENT),
    (r"\bnegligen(?:t|tly|ce)\b", "judges care", INTENT),
    (
        r"\b(?:sloppy|lazy|reckless(?:ly)?|irresponsibl[ey]|incompeten(?:t|ce)|stupid(?:ly)?|dumb)\b",
        "judges a person",
        INTENT,
    ),
    (r"\bshould(?:\s+have|'ve)\s+known\b", "judges with hindsight", INTENT),
    (r"\bshould(?:\s+have|'ve)\s+(?:noticed|caught|checked|realised|realized)\b", "judges with hindsight", INTENT),
    (r"\bhuman\s+error\b", "stops at a person instead of the system that allowed it", SYSTEMS),
    (r"\b(?:didn't|did\s+not)\s+bother\b", "judges a person", INTENT),
)
_COMPILED = tuple((re.compile(p, re.IGNORECASE), what, why) for p, what, why in _WORDS)

# A person named next to a verb that makes them the cause.
_CAUSAL = (
    r"(?:caused|broke|forgot|missed|ignored|messed\s+up|screwed\s+up|failed\s+to|neglected|overlooked|"
    r"made\s+(?:a|the)\s+mistake|was\s+responsible\s+for|is\s+responsible\s+for)"
)
_BECAUSE = r"(?:because\s+of|due\s+to|thanks\s+to|caused\s+by|blame\s+on)"


@dataclass(frozen=True, slots=True)
class Finding:
    where: str  # the section or table it is in
    excerpt: str  # the sentence, shortened
    what: str
    principle: str


def _sentences(text: str) -> Iterable[str]:
    for part in re.split(r"(?<=[.!?])\s+|\n+", text):
        part = part.strip(" -*>|\t")
        if part:
            yield part


def _excerpt(sentence: str) -> str:
    return sentence if len(sentence) <= 200 else sentence[:197] + "..."


def _alternatives(items: Sequence[str]) -> str:
    return "|".join(
        re.escape(n) for n in sorted({p.strip() for p in items if len(p.strip()) >= 2}, key=len, reverse=True)
    )


def _person_patterns(names: Sequence[str], handles: Sequence[str]) -> list[re.Pattern[str]]:
    """A person as the subject of a causal verb, or the object of "because of". Names match as
    written (people capitalise them; "config drift" is not Config), handles in any case."""
    out: list[re.Pattern[str]] = [re.compile(rf"@[\w.-]+\s+{_CAUSAL}\b", re.IGNORECASE)]
    out.append(re.compile(rf"{_BECAUSE}\s+@[\w.-]+", re.IGNORECASE))
    verbs, because = rf"(?i:{_CAUSAL})", rf"(?i:{_BECAUSE})"
    if names:
        alternatives = _alternatives(names)
        out.append(re.compile(rf"\b(?:{alternatives})\b\s+{verbs}\b"))
        out.append(re.compile(rf"{because}\s+(?:{alternatives})\b"))
    if handles:
        alternatives = _alternatives(handles)
        out.append(re.compile(rf"\b(?:{alternatives})\b\s+{_CAUSAL}\b", re.IGNORECASE))
        out.append(re.compile(rf"{_BECAUSE}\s+(?:{alternatives})\b", re.IGNORECASE))
    return out


def check(
    passages: Iterable[tuple[str, str]], people: Sequence[str] = (), handles: Sequence[str] = ()
) -> list[Finding]:
    """Findings in `(where, text)` passages; `people` are names (matched as written) and `handles`
    (matched in any case) that must not be given as causes."""
    named = _person_patterns(people, handles)
    findings: list[Finding] = []
    for where, text in passages:
        for sentence in _sentences(text):
            for pattern, what, why in _COMPILED:
                if pattern.search(sentence):
                    findings.append(Finding(where, _excerpt(sentence), what, why))
                    break
            else:
                if any(p.search(sentence) for p in named):
                    findings.append(Finding(where, _excerpt(sentence), "names a person as the cause", SYSTEMS))
    return findings
