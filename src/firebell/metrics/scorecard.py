"""Figures read from the database, judged against their targets and laid out for people and
programs. Pure: every input is already a number."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from firebell.kernel.severity import Sev
from firebell.metrics.model import DEFINITIONS, Metric, Ratio, Stat, Verdict, format_value
from firebell.metrics.periods import Period


def stat_json(stat: Stat) -> dict[str, Any]:
    return {"count": stat.count, "mean": stat.mean, "median": stat.median, "p90": stat.p90}


def overall_verdict(verdicts: Sequence[Verdict]) -> Verdict:
    """Missed if any judged figure missed; met if every judged figure met; otherwise no data."""
    judged = [v for v in verdicts if v in (Verdict.MET, Verdict.MISSED)]
    if not judged:
        return Verdict.NO_DATA if Verdict.NO_DATA in verdicts else Verdict.NO_TARGET
    return Verdict.MISSED if Verdict.MISSED in judged else Verdict.MET


def response_time(metric: Metric, overall: Stat, by_sev: Mapping[str, Stat]) -> dict[str, Any]:
    """One response time: the whole distribution, and per severity judged on the mean."""
    definition = DEFINITIONS[metric]
    rows = []
    for sev in Sev:
        stat = by_sev.get(sev.value, Stat.empty())
        target = definition.target_for(sev)
        verdict = target.judge(stat.mean) if target else (Verdict.NO_TARGET if stat.count else Verdict.NO_DATA)
        rows.append(
            {
                "sev": sev.value,
                **stat_json(stat),
                "target": target.limit if target else None,
                "target_text": target.describe(definition.unit) if target else "",
                "verdict": verdict.value,
            }
        )
    verdict = overall_verdict([Verdict(r["verdict"]) for r in rows])
    return _figure(metric, overall.mean, verdict, overall=stat_json(overall), by_sev=rows)


def _figure(metric: Metric, value: float | None, verdict: Verdict, **details: Any) -> dict[str, Any]:
    definition = DEFINITIONS[metric]
    target = definition.target
    if definition.by_sev:
        text = "; ".join(f"{sev}: {t.describe(definition.unit)}" for sev, t in definition.by_sev.items())
    else:
        text = target.describe(definition.unit) if target else ""
    return {
        "metric": metric.value,
        "title": definition.title,
        "short": definition.short,
        "meaning": definition.meaning,
        "unit": definition.unit.value,
        "value": None if value is None else round(value, 3),
        "display": format_value(value, definition.unit),
        "target": target.limit if target else None,
        "target_text": text,
        "verdict": verdict.value,
        **details,
    }


def judged(metric: Metric, value: float | None, **details: Any) -> dict[str, Any]:
    target = DEFINITIONS[metric].target
    verdict = target.judge(value) if target else Verdict.NO_TARGET
    return _figure(metric, value, verdict, **details)


def mtbf(period: Period, incidents: int, per_service: Mapping[str, int] | None = None) -> dict[str, Any]:
    """Operational time over incidents; with no incident, the whole period went without a failure
    (MTBF is then at least the period: reported as the period's length)."""
    hours = period.hours
    value = hours / incidents if incidents else hours
    details: dict[str, Any] = {"incidents": incidents, "hours": round(hours, 1), "lower_bound": incidents == 0}
    if per_service is not None:
        details["services_meeting"] = sum(1 for n in per_service.values() if not n or hours / n > 720)
        details["services"] = len(per_service)
    return judged(Metric.MTBF, value, **details)


def ratio(metric: Metric, found: Ratio, part_name: str, whole_name: str, **details: Any) -> dict[str, Any]:
    return judged(metric, found.percent, **{part_name: found.part, whole_name: found.whole}, **details)


def per_week(metric: Metric, count: int, weeks: float, divisor: int = 1, **details: Any) -> dict[str, Any]:
    value = count / weeks / divisor if weeks > 0 and divisor > 0 else None
    return judged(metric, value, **details)


def fairness(counts: Sequence[int]) -> dict[str, Any]:
    """How evenly pages fell on the people of a rotation: the busiest person's share over an even
    share (1.0 is perfectly even) and the Gini coefficient (0 even, 1 all on one person)."""
    people = len(counts)
    total = sum(counts)
    if not people or not total:
        return {"people": people, "pages": total, "busiest_over_even": None, "gini": None}
    ordered = sorted(counts)
    weighted = sum((index + 1) * value for index, value in enumerate(ordered))
    gini = (2 * weighted) / (people * total) - (people + 1) / people
    return {
        "people": people,
        "pages": total,
        "busiest_over_even": round(max(counts) / (total / people), 2),
        "gini": round(gini, 3),
    }
