"""The 5 whys: a problem and the causes found by asking "why?" again of each answer.

A cause may branch into several causes; a cause with none below it is a root cause. The technique asks
"why?" about five times, so a chain that stops before `SUGGESTED_WHYS` is flagged as advice, never as
an error (a draft is allowed to be shallow).

JSON: `{"problem": "...", "causes": [{"text": "...", "causes": [...]}, ...]}`.
"""

from __future__ import annotations

from dataclasses import dataclass

from firebell.postmortems.rca.causes import Cause, parse_causes, walk
from firebell.postmortems.rca.parsing import Budget, obj, optional, text

MAX_CAUSES = 200
MAX_DEPTH = 10
SUGGESTED_WHYS = 3


@dataclass(frozen=True, slots=True)
class FiveWhys:
    problem: str
    causes: tuple[Cause, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"problem": self.problem, "causes": [c.to_json() for c in self.causes]}


def parse_five_whys(data: object, *, field: str = "five_whys") -> FiveWhys:
    """Read a 5 whys from JSON; raises ValidationFailed naming the bad field."""
    fields = obj(data, field, allowed=("problem", "causes"))
    budget = Budget(field, "causes", MAX_CAUSES)
    causes = parse_causes(optional(fields, "causes", []), f"{field}.causes", budget=budget, levels=MAX_DEPTH)
    return FiveWhys(text(fields.get("problem"), f"{field}.problem"), causes)


def chains(whys: FiveWhys) -> tuple[tuple[Cause, ...], ...]:
    """Every path from the first why down to a root cause, depth first in the given order."""
    return tuple((*above, cause) for above, cause in walk(whys.causes) if not cause.causes)


def root_causes(whys: FiveWhys) -> tuple[Cause, ...]:
    """The causes with nothing below them, in the order of `chains`."""
    return tuple(chain[-1] for chain in chains(whys))


def depth(whys: FiveWhys) -> int:
    """How many whys the longest chain asks (0 when none is answered yet)."""
    return max((len(chain) for chain in chains(whys)), default=0)


def shallow_chains(whys: FiveWhys, minimum: int = SUGGESTED_WHYS) -> tuple[tuple[Cause, ...], ...]:
    """The chains that stop before `minimum` whys."""
    return tuple(chain for chain in chains(whys) if len(chain) < minimum)


def advice(whys: FiveWhys, minimum: int = SUGGESTED_WHYS) -> tuple[str, ...]:
    """Gentle hints for a reviewer: an unanswered problem, or chains that may stop too early."""
    if not whys.causes:
        return ('No cause yet: ask "why?" of the problem.',)
    return tuple(
        f'"{chain[-1].text}" is reached after {len(chain)} why{"s" if len(chain) > 1 else ""}; '
        f'asking "why?" again (about five times in all) often finds a deeper cause.'
        for chain in shallow_chains(whys, minimum)
    )
