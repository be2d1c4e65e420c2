"""Benchmark of the metrics and reports: how fast Firebell answers them over two years of history.

Writes a realistic, seeded history ending now (1,000,000 alerts and 100,000 incidents by default, with
their escalations, pages and action items) straight into a fresh SQLite file and a fresh PostgreSQL
database, starts `firebell serve` on each, and times the requests of REQUESTS below: the median and
p90 of K runs after one warm-up, and the size of the answer. A request the server does not know yet
answers 404 and is shown as "404 (missing)". For comparison, the "whole history" scorecard is also
computed the naive way: every incident, alert and page of the period loaded into Python.

    .venv/bin/python bench/metrics.py                                   # 1M alerts, 100k incidents
    .venv/bin/python bench/metrics.py --alerts 100000 --incidents 10000 # a quick run
    .venv/bin/python bench/metrics.py --only sqlite --repeat 9 --keep /tmp/fb-metrics
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from bisect import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from escalation import Firebell, pct  # bench/ is on the path when this script runs

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
TARGET_MS = 1000.0

# --- what is timed -----------------------------------------------------------------------------
# (label, path). Placeholders: {now}, {two_years_ago}, {one_year_ago} (ISO instants, UTC),
# {service}, {team} (the busiest service and its owner team), {month_year_ago} (YYYY-MM).
# Edit freely: a path the server does not know is reported as "404 (missing)".
REQUESTS: list[tuple[str, str]] = [
    ("scorecard, last 30 days", "/api/v1/metrics"),
    ("scorecard, whole history", "/api/v1/metrics?from={two_years_ago}&to={now}"),
    ("scorecard, one service", "/api/v1/metrics?from={two_years_ago}&to={now}&service={service}"),
    ("scorecard, one team", "/api/v1/metrics?from={two_years_ago}&to={now}&team={team}"),
    ("scorecard, SEV-1 only", "/api/v1/metrics?from={two_years_ago}&to={now}&sev=SEV-1"),
    ("trends, 1 year by week", "/api/v1/metrics/trends?from={one_year_ago}&bucket=week"),
    ("trends, 2 years by month", "/api/v1/metrics/trends?from={two_years_ago}&bucket=month"),
    ("breakdown by service", "/api/v1/metrics/breakdown?by=service&from={two_years_ago}"),
    ("breakdown by team", "/api/v1/metrics/breakdown?by=team&from={two_years_ago}"),
    ("breakdown by severity", "/api/v1/metrics/breakdown?by=severity&from={two_years_ago}"),
    ("weekly report (last full week)", "/api/v1/reports/weekly"),
    ("monthly report (last full month)", "/api/v1/reports/monthly"),
    ("monthly report, a year ago", "/api/v1/reports/monthly?month={month_year_ago}"),
    ("CSV export, whole history", "/api/v1/metrics/export?format=csv&from={two_years_ago}"),
    ("Prometheus /metrics", "/metrics"),
    # The web pages (sent with a logged-in session cookie).
    ("metrics web page", "/metrics-dashboard"),
    ("weekly review web page", "/metrics-dashboard/weekly"),
    ("monthly retrospective web page", "/metrics-dashboard/monthly"),
]
WHOLE_HISTORY = "scorecard, whole history"  # the request the naive baseline is compared with

# --- the organisation ---------------------------------------------------------------------------

TEAMS: dict[str, tuple[str, list[str]]] = {  # team: (main time zone, its services)
    "payments": ("America/New_York", ["checkout", "payments-api", "billing", "invoicing", "fraud-check"]),
    "storefront": ("Europe/Berlin", ["web-frontend", "catalog", "search", "cart", "recommendations"]),
    "platform": ("UTC", ["api-gateway", "auth-proxy", "kubernetes", "postgres-primary", "message-bus"]),
    "data": ("Asia/Kolkata", ["etl-pipeline", "warehouse", "reporting", "feature-store", "stream-ingest"]),
    "identity": ("Europe/Berlin", ["accounts", "login", "sso", "permissions", "notifications"]),
    "mobile": ("America/New_York", ["ios-backend", "android-backend", "push-gateway", "mobile-bff", "app-config"]),
}
ZONES = ["America/New_York", "Europe/Berlin", "Asia/Kolkata", "UTC"]
USERS_PER_TEAM = [7, 7, 7, 6, 7, 6]  # 40 people
ALERT_NAMES = [
    "HighErrorRate", "HighLatencyP99", "PodCrashLooping", "DiskSpaceLow", "MemoryPressure",
    "DeploymentReplicasMismatch", "EndpointDown", "CertificateExpiringSoon", "QueueBacklogGrowing",
    "DatabaseConnectionsSaturated", "ReplicationLag", "TooManyRestarts", "SLOBurnRateFast",
    "SLOBurnRateSlow", "JobFailed", "UpstreamTimeouts", "CacheHitRateLow", "NodeNotReady",
    "HTTP5xxSpike", "ThreadPoolExhausted", "GCPauseLong", "DNSResolutionFailing", "RateLimited",
    "BackupMissing", "ConsumerLagHigh", "TLSHandshakeErrors", "ConfigReloadFailed", "OOMKilled",
]  # fmt: skip
NOISY_NAMES = ["CPUThrottlingHigh", "KubePodNotReady"]  # flappy: "no action" 40 % of the time
POOL_SIZE = 20
NOISY_RANKS = (1, 3)  # their place (0-based) in every service's Zipf-ranked pool
SEVS = ["SEV-1", "SEV-2", "SEV-3", "SEV-4"]
SEV_WEIGHTS = [5, 20, 45, 30]
# Lognormal medians (seconds) by severity: acknowledgement, and the scale of the later gaps.
ACK_MEDIAN = {"SEV-1": 120, "SEV-2": 180, "SEV-3": 360, "SEV-4": 720}
GAP_SCALE = {"SEV-1": 1.6, "SEV-2": 1.2, "SEV-3": 1.0, "SEV-4": 0.8}
LEVEL_TIMEOUT = 900  # the policies page level 2 after 15 minutes without an acknowledgement
# The working states after the acknowledgement: (state, median gap in seconds, how often reached).
STEPS = [("investigating", 180, 0.9), ("identified", 1200, 0.8), ("resolving", 900, 0.6)]
DAY = 86_400.0
HISTORY_DAYS = 730


# --- the history --------------------------------------------------------------------------------

_CROCKFORD = "0123456789abcdefghjkmnpqrstvwxyz"
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]


def id_at(t: float, rng: random.Random) -> str:
    """A Firebell-shaped id (see kernel/ids.py) stamped with instant `t`, drawn from `rng`."""
    v = (int(t * 1000) << 82) | (rng.getrandbits(80) << 2)
    return "".join(_PAIRS[(v >> shift) & 1023] for shift in range(120, -1, -10))


def at(t: float) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def zipf(n: int, s: float = 1.0) -> list[float]:
    return list(accumulate(1 / (rank + 1) ** s for rank in range(n)))


@dataclass
class Org:
    """The people, teams, services and integrations the setup created (ids from the database)."""

    services: list[str] = field(default_factory=list)  # names, by index
    service_ids: list[str] = field(default_factory=list)
    integration_ids: list[str] = field(default_factory=list)
    service_team: list[str] = field(default_factory=list)
    pools: list[list[str]] = field(default_factory=list)  # each service's alert names, most frequent first
    team_members: dict[str, list[str]] = field(default_factory=dict)  # user ids, lead first
    policy_of_team: dict[str, str] = field(default_factory=dict)
    user_zone: dict[str, str] = field(default_factory=dict)
    user_email: dict[str, str] = field(default_factory=dict)


def org_config() -> dict[str, Any]:
    """The on-call configuration, in `firebell apply`'s YAML shape: users, teams, schedules, policies."""
    rng = random.Random(7)
    users, teams, schedules, policies, services = [], [], [], [], []
    for (team, (zone, owned)), size in zip(TEAMS.items(), USERS_PER_TEAM, strict=True):
        handles = []
        for k in range(size):
            handle = f"{team}{k + 1}"
            # Most of a team sits in its main zone; one or two members elsewhere.
            tz = zone if k < size - 2 or rng.random() < 0.3 else rng.choice([z for z in ZONES if z != zone])
            name = f"{team.capitalize()} Person {k + 1}"
            users.append({"name": name, "handle": handle, "email": f"{handle}@example.com", "timezone": tz})
            handles.append(handle)
        teams.append({"name": team, "members": handles})
        schedules.append(
            {"name": f"{team}-primary", "timezone": zone, "type": "weekly_rotation", "participants": handles}
        )
        policies.append(
            {
                "name": f"{team}-default",
                "levels": [
                    {"targets": [f"{team}-primary"], "timeout": f"{LEVEL_TIMEOUT // 60}m"},
                    {"targets": [handles[0]], "timeout": "30m"},
                ],
            }
        )
        services += [{"name": s, "escalation_policy": f"{team}-default", "owner_team": team} for s in owned]
    return {
        "users": users,
        "teams": teams,
        "schedules": schedules,
        "escalation_policies": policies,
        "services": services,
    }


def set_up_org(database_url: str, started: datetime) -> tuple[Org, str, str]:
    """Services, integrations and the on-call configuration through Firebell's own use cases; an
    admin API token and a logged-in web session. Returns (org, token, session cookie)."""
    import sqlalchemy as sa

    from firebell.catalog.repo import SqlCatalogRepo
    from firebell.catalog.service import create_integration, create_service
    from firebell.identity.model import Role
    from firebell.identity.repo import SqlIdentityRepo
    from firebell.identity.service import create_token, create_user, open_session, password_holder
    from firebell.infra.db import make_engine, transaction
    from firebell.infra.sqltypes import UTCDateTime
    from firebell.oncall.repo import SqlOncallRepo
    from firebell.oncall.schemas import OncallConfig
    from firebell.oncall.service import apply

    config = org_config()
    engine = make_engine(database_url)
    now = datetime.now(UTC)
    org = Org()
    with transaction(engine, write=True) as conn:
        catalog = SqlCatalogRepo(conn)
        for i, declared in enumerate(config["services"]):
            create_service(
                repo=catalog, name=declared["name"], now=now, owner_team=declared["owner_team"], tier=1 + i % 3
            )
            create_integration(repo=catalog, service=declared["name"], kind="alertmanager", now=now, name="prometheus")
        apply(
            OncallConfig.model_validate(config),
            oncall=SqlOncallRepo(conn),
            identity=SqlIdentityRepo(conn),
            services=catalog,
            now=now,
        )
        identity = SqlIdentityRepo(conn)
        token = create_token(repo=identity, name="bench-metrics", scope="admin", now=now)
        password = uuid.uuid4().hex
        create_user(repo=identity, email="bench-admin@example.com", password=password, role=Role.ADMIN, now=now)
        month = timedelta(days=30)
        user = password_holder(identity.user_by_email("bench-admin@example.com"), password)
        session = open_session(repo=identity, user=user, now=now, lifetime=month)
        # The organisation predates its history.
        for table in ("services", "integrations", "users", "teams", "schedules", "escalation_policies"):
            backdate = sa.text(f"update {table} set created_at = :t").bindparams(sa.bindparam("t", type_=UTCDateTime))
            conn.execute(backdate, {"t": started - timedelta(days=1)})
        users = {r.handle: r for r in conn.execute(sa.text("select id, handle, email, timezone from users"))}
        services = {r.name: r.id for r in conn.execute(sa.text("select id, name from services"))}
        integrations = {r.service_id: r.id for r in conn.execute(sa.text("select id, service_id from integrations"))}
        policies = {r.name: r.id for r in conn.execute(sa.text("select id, name from escalation_policies"))}
    engine.dispose()
    for user in users.values():
        org.user_zone[user.id] = user.timezone
        org.user_email[user.id] = user.email
    for team in config["teams"]:
        org.team_members[team["name"]] = [users[h].id for h in team["members"]]
        org.policy_of_team[team["name"]] = policies[f"{team['name']}-default"]
    rng = random.Random(11)
    for declared in config["services"]:
        org.services.append(declared["name"])
        org.service_ids.append(services[declared["name"]])
        org.integration_ids.append(integrations[services[declared["name"]]])
        org.service_team.append(declared["owner_team"])
        pool = rng.sample(ALERT_NAMES, POOL_SIZE - len(NOISY_NAMES))
        for rank, noisy in zip(NOISY_RANKS, NOISY_NAMES, strict=True):
            pool.insert(rank, noisy)
        org.pools.append(pool)
    return org, token, session.token


def seasonal_hours(start: float, hours: int) -> list[float]:
    """Cumulative weights of each hour of the history: busier on weekdays and in (UTC) working
    hours, and slowly growing over the two years."""
    weights = []
    for h in range(hours):
        moment = at(start + h * 3600)
        daily = 0.35 + 0.65 * math.exp(-(((moment.hour - 15) / 5.0) ** 2))
        weekly = 1.0 if moment.weekday() < 5 else 0.55
        weights.append(daily * weekly * (0.8 + 0.4 * h / hours))
    return list(accumulate(weights))


def lognormal(rng: random.Random, median: float, sigma: float = 1.0) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def verdict_rates(pool_weights: list[float]) -> tuple[float, float]:
    """The "no action" and "actionable" rates of the ordinary names that make the overall rates
    15 % and 30 % when the noisy ones run at 40 % and 10 %."""
    total = pool_weights[-1]
    share = [(pool_weights[i] - (pool_weights[i - 1] if i else 0.0)) / total for i in range(len(pool_weights))]
    noisy = sum(share[r] for r in NOISY_RANKS)
    return (0.15 - 0.40 * noisy) / (1 - noisy), (0.30 - 0.10 * noisy) / (1 - noisy)


class History:
    """The rows, generated on demand from one seed; the same seed and `now` give the same rows."""

    def __init__(self, org: Org, now: datetime, alerts: int, incidents: int, seed: int) -> None:
        self.org, self.alerts, self.incidents, self.seed = org, alerts, incidents, seed
        self.now = now.timestamp()
        self.start = self.now - HISTORY_DAYS * DAY
        self.hours = seasonal_hours(self.start, HISTORY_DAYS * 24)
        self.service_weights = zipf(len(org.services), 0.8)
        self.name_weights = zipf(POOL_SIZE, 1.0)
        self.no_action, self.actionable = verdict_rates(self.name_weights)
        self.rows: Counter[str] = Counter()
        # Filled by incident_rows, read by the later tables.
        self.inc: list[dict[str, Any]] = []

    def when(self, rng: random.Random, k: int) -> list[float]:
        picks = rng.choices(range(len(self.hours)), cum_weights=self.hours, k=k)
        return sorted(self.start + (h + rng.random()) * 3600 for h in picks)

    def on_call(self, team: str, t: float, level: int) -> list[str]:
        """Who a page goes to: the team's weekly rotation at level 1, its lead at level 2."""
        members = self.org.team_members[team]
        if level == 2:
            return [members[0]]
        return [members[int((t - self.start) // (7 * DAY)) % len(members)]]

    # -- incidents --------------------------------------------------------------------------

    def incident_rows(self, ts: Callable[[datetime | None], Any]) -> Iterator[tuple[Any, ...]]:
        rng = random.Random(self.seed)
        for number, opened in enumerate(self.when(rng, self.incidents), start=1):
            svc = bisect(self.service_weights, rng.random() * self.service_weights[-1])
            sev = rng.choices(SEVS, weights=SEV_WEIGHTS)[0]
            name = self.org.pools[svc][bisect(self.name_weights, rng.random() * self.name_weights[-1])]
            scale = GAP_SCALE[sev]
            acked = None if rng.random() < 0.03 else opened + lognormal(rng, ACK_MEDIAN[sev], 1.0)
            base = acked if acked is not None else opened + lognormal(rng, 1800, 0.8)
            marks: dict[str, float | None] = {"acknowledged": acked}
            t = base
            for state, median, present in STEPS:
                t += lognormal(rng, median * scale, 0.9)
                marks[state] = t if rng.random() < present else None
            t += lognormal(rng, 1800 * scale, 1.0)
            if rng.random() < 0.03:  # reopened: resolved, reopened, resolved again later
                t += lognormal(rng, 6 * 3600, 1.0)
            marks["resolved"] = t
            marks["closed"] = t + lognormal(rng, 2 * DAY, 0.7) if rng.random() < 0.9 else None
            if number > self.incidents - max(3, self.incidents // 2000):  # the latest few are still open
                marks["resolved"] = marks["closed"] = None
            marks = {k: (v if v is not None and v <= self.now else None) for k, v in marks.items()}
            status = "detected"
            for state in ("acknowledged", "investigating", "identified", "resolving", "resolved", "closed"):
                if marks[state] is not None:
                    status = state
            if marks["resolved"] is None:  # still open: only the steps already taken
                marks["closed"] = None
            elif status != "closed":
                status = "resolved"
            drill = id_at(opened, rng) if rng.random() < 0.01 else None
            incident_id = id_at(opened, rng)
            team = self.org.service_team[svc]
            self.inc.append(
                {
                    "id": incident_id,
                    "opened": opened,
                    "svc": svc,
                    "sev": sev,
                    "name": name,
                    "marks": marks,
                    "team": team,
                }
            )
            self.rows["incidents"] += 1
            yield (
                incident_id, number, f"[{sev}] {name}", status, sev, self.org.service_ids[svc],
                f"group:{self.org.services[svc]}/{name}", ts(at(opened)), ts(_at(marks["acknowledged"])),
                ts(_at(marks["resolved"])), ts(_at(marks["closed"])), ts(_at(marks["investigating"])),
                ts(_at(marks["identified"])), ts(_at(marks["resolving"])), "", "alert", "", "[]",
                f"#incident-{at(opened):%Y-%m-%d}-{name.lower()}"[:80], drill, name.lower(),
            )  # fmt: skip

    INCIDENT_COLUMNS = (
        "id", "number", "title", "status", "sev", "service_id", "group_key", "opened_at", "acknowledged_at",
        "resolved_at", "closed_at", "investigating_at", "identified_at", "resolving_at", "declared_by",
        "detection_source", "impact", "affected_service_ids", "war_room", "drill_id", "recurrence_key",
    )  # fmt: skip

    # -- alerts -----------------------------------------------------------------------------

    def alert_plan(self, rng: random.Random) -> list[tuple[float, int, str, int]]:
        """(first seen, service, name, incident index or -1) for every alert, in time order."""
        per_incident = max(1.0, 0.3 * self.alerts / max(1, self.incidents))
        plan: list[tuple[float, int, str, int]] = []
        for k, inc in enumerate(self.inc):
            if len(plan) >= self.alerts:
                break
            extra = int(rng.expovariate(1 / (per_incident - 0.5))) if per_incident > 1 else 0
            plan.append((inc["opened"] - rng.uniform(0, 30), inc["svc"], inc["name"], k))
            end = inc["marks"]["resolved"] or self.now
            for _ in range(min(extra, self.alerts - len(plan))):
                t = inc["opened"] + rng.expovariate(1 / 600)
                if t < end:
                    name = self.org.pools[inc["svc"]][bisect(self.name_weights, rng.random() * self.name_weights[-1])]
                    plan.append((t, inc["svc"], name, k))
        for t in self.when(rng, self.alerts - len(plan)):
            svc = bisect(self.service_weights, rng.random() * self.service_weights[-1])
            name = self.org.pools[svc][bisect(self.name_weights, rng.random() * self.name_weights[-1])]
            plan.append((t, svc, name, -1))
        plan.sort()
        return plan

    def alert_rows(self, ts: Callable[[datetime | None], Any]) -> Iterator[tuple[Any, ...]]:
        rng = random.Random(self.seed + 1)
        plan = self.alert_plan(rng)
        noisy = set(NOISY_NAMES)
        emails = list(self.org.user_email.values())
        for seq, (first, svc, name, k) in enumerate(plan):
            service = self.org.services[svc]
            if k >= 0:
                inc = self.inc[k]
                severity = "critical" if rng.random() < 0.7 else "error"
                resolved = inc["marks"]["resolved"]
                acked = inc["marks"]["acknowledged"]
                disposition, incident_id = "open_incident", inc["id"]
            else:
                severity = "warning" if rng.random() < 0.7 else "info"
                resolved = first + lognormal(rng, 600, 1.2)
                acked = None
                disposition, incident_id = "log_only", None
            if resolved is not None and resolved > self.now:
                resolved = None
            if acked is not None and acked > self.now:
                acked = None
            count = 1 + int(rng.expovariate(0.5))
            last = first + (((resolved or self.now) - first) * rng.random() if count > 1 else 0.0)
            draw = rng.random()
            if name in noisy:
                verdict = "no_action" if draw < 0.40 else "actionable" if draw < 0.50 else None
            else:
                verdict = (
                    "no_action"
                    if draw < self.no_action
                    else "actionable"
                    if draw < self.no_action + self.actionable
                    else None
                )
            verdict_at = min(first + lognormal(rng, 1800, 1.0), self.now) if verdict else None
            self.rows["alerts"] += 1
            yield (
                id_at(first, rng), self.org.service_ids[svc], self.org.integration_ids[svc], "0" * 26,
                "alertmanager", f"{name}:{seq}", "resolved" if resolved is not None else "triggered", severity,
                f"{name} on {service}", f"prometheus/{service}", f"group:{service}/{name}",
                json.dumps({"alertname": name, "service": service, "severity": severity}), "{}", "[]",
                disposition, incident_id, count, ts(at(first)), ts(at(first)), ts(at(last)), ts(_at(acked)),
                ts(_at(resolved)), name, verdict, rng.choice(emails) if verdict else "", ts(_at(verdict_at)),
            )  # fmt: skip

    ALERT_COLUMNS = (
        "id", "service_id", "integration_id", "raw_payload_id", "source", "dedup_key", "status", "severity",
        "summary", "origin", "group_key", "labels", "details", "links", "disposition", "incident_id", "count",
        "occurred_at", "first_seen_at", "last_seen_at", "acknowledged_at", "resolved_at", "name", "verdict",
        "verdict_by", "verdict_at",
    )  # fmt: skip

    # -- escalations and pages --------------------------------------------------------------

    def paging_rows(self, ts: Callable[[datetime | None], Any]) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        from firebell.oncall.notification_rules import after_hours

        rng = random.Random(self.seed + 2)
        escalations, pages = [], []
        for inc in self.inc:
            opened, marks, team = inc["opened"], inc["marks"], inc["team"]
            acked, resolved = marks["acknowledged"], marks["resolved"]
            escalation_id = id_at(opened, rng)
            waited = (acked or resolved or self.now) - opened
            steps = [(0, 1, self.on_call(team, opened, 1)[0])]
            if inc["sev"] == "SEV-1":  # an incident commander is paged at once too
                members = self.org.team_members[team]
                commander = members[(members.index(steps[0][2]) + 1) % len(members)]
                steps.append((0, 1, commander))
            if waited > LEVEL_TIMEOUT:
                lead = self.on_call(team, opened, 2)[0]
                steps.append((1, 2, lead if lead != steps[0][2] else self.org.team_members[team][1]))
            state = "resolved" if resolved else "acknowledged" if acked else "exhausted"
            ended = resolved or acked
            escalations.append(
                (escalation_id, inc["id"], self.org.policy_of_team[team], state, ts(at(opened)),
                 max(s for s, _l, _u in steps) + 1, None, ts(_at(ended)))
            )  # fmt: skip
            for step, level, user in steps:
                due = opened + step * LEVEL_TIMEOUT
                if due > self.now:
                    continue
                paged = due + rng.uniform(0.05, 2.0)
                pages.append(
                    (id_at(paged, rng), escalation_id, inc["id"], user, step, level, ts(at(due)), ts(at(paged)),
                     after_hours(at(paged), self.org.user_zone[user]))
                )  # fmt: skip
        self.rows["escalations"] += len(escalations)
        self.rows["pages"] += len(pages)
        return escalations, pages

    ESCALATION_COLUMNS = (
        "id", "incident_id", "policy_id", "state", "started_at", "steps_taken", "next_due_at", "ended_at",
    )  # fmt: skip
    PAGE_COLUMNS = (
        "id", "escalation_id", "incident_id", "user_id", "step", "level", "due_at", "paged_at", "after_hours",
    )  # fmt: skip

    # -- action items -----------------------------------------------------------------------

    def action_item_rows(self, ts: Callable[[datetime | None], Any]) -> list[tuple[Any, ...]]:
        rng = random.Random(self.seed + 3)
        rows = []
        for inc in self.inc:
            if inc["sev"] not in ("SEV-1", "SEV-2"):
                continue
            draw = rng.random()
            for _ in range(2 if draw < 0.05 else 1 if draw < 0.25 else 0):
                created = (inc["marks"]["resolved"] or inc["opened"]) + lognormal(rng, DAY, 0.8)
                if created > self.now:
                    continue
                priority = rng.choices(["P1", "P2", "P3"], weights=[2, 5, 3])[0]
                due = at(created).date() + timedelta(days={"P1": 7, "P2": 30, "P3": 90}[priority])
                due_end = datetime(due.year, due.month, due.day, 23, 59, tzinfo=UTC).timestamp()
                status, completed = rng.choices(["open", "in_progress"], weights=[2, 1])[0], None
                finished = created + (due_end - created) * rng.uniform(0.1, 1.0)  # on time, mostly
                if rng.random() < 0.15:
                    finished = due_end + lognormal(rng, 10 * DAY, 0.8)  # late
                if finished <= self.now and rng.random() < 0.92:
                    status, completed = ("done", finished) if rng.random() < 0.95 else ("wont_do", finished)
                owner = rng.choice(self.org.team_members[inc["team"]])
                rows.append(
                    (id_at(created, rng), len(rows) + 1, inc["id"], rng.random() < 0.6,
                     f"Follow-up on {inc['name']} ({self.org.services[inc['svc']]})", "",
                     priority, rng.choice(["immediate", "preventative", "detection"]), owner, due.isoformat(),
                     status, "", ts(at(created)), self.org.user_email[owner], ts(at(completed or created)),
                     ts(_at(completed)), 1 if completed is None else 2)
                )  # fmt: skip
        self.rows["action_items"] += len(rows)
        return rows

    ACTION_ITEM_COLUMNS = (
        "id", "number", "incident_id", "from_postmortem", "title", "description", "priority", "kind", "owner_id",
        "due_date", "status", "ticket", "created_at", "created_by", "updated_at", "completed_at", "version",
    )  # fmt: skip


def _at(t: float | None) -> datetime | None:
    return None if t is None else at(t)


def chunks(rows: Iterator[tuple[Any, ...]], size: int = 20_000) -> Iterator[list[tuple[Any, ...]]]:
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def load_history(database_url: str, history: History) -> dict[str, float]:
    """Write the history in one transaction: multi-row INSERTs with synchronous=OFF on SQLite, COPY on
    PostgreSQL (DriverSql.insert_rows); then gather statistics. Returns the seconds of each phase."""
    from firebell.infra.db import make_engine
    from firebell.infra.driver_sql import DriverSql
    from firebell.metrics.derived import refresh

    phases: dict[str, float] = {}
    engine = make_engine(database_url, sqlite_synchronous="OFF")
    started = time.perf_counter()
    with engine.begin() as conn:
        sql = DriverSql(conn)
        if sql.sqlite:
            sql.execute("PRAGMA cache_size=-262144")  # 256 MiB, for the indexes being built
        for batch in chunks(history.incident_rows(sql.ts)):
            sql.insert_rows("incidents", History.INCIDENT_COLUMNS, batch)
        phases["incidents"] = time.perf_counter() - started
        for batch in chunks(history.alert_rows(sql.ts)):
            sql.insert_rows("alerts", History.ALERT_COLUMNS, batch)
        phases["alerts"] = time.perf_counter() - started - sum(phases.values())
        escalations, pages = history.paging_rows(sql.ts)
        sql.insert_rows("escalations", History.ESCALATION_COLUMNS, escalations)
        sql.insert_rows("pages", History.PAGE_COLUMNS, pages)
        sql.insert_rows("action_items", History.ACTION_ITEM_COLUMNS, history.action_item_rows(sql.ts))
        phases["pages and action items"] = time.perf_counter() - started - sum(phases.values())
        # What the incident writers keep on each row as they go: response times, recurrence flags.
        refresh(conn)
        phases["spans and recurrences"] = time.perf_counter() - started - sum(phases.values())
    phases["commit"] = time.perf_counter() - started - sum(phases.values())
    with engine.connect() as conn:
        raw: Any = conn.connection.driver_connection  # outside any transaction
        if engine.dialect.name == "sqlite":
            raw.execute("ANALYZE")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:  # a long-lived database is vacuumed too (the visibility map serves index-only scans)
            raw.autocommit = True
            raw.execute("VACUUM (ANALYZE)")
            raw.autocommit = False
    phases["analyze"] = time.perf_counter() - started - sum(phases.values())
    engine.dispose()
    return phases


def count_rows(database_url: str) -> dict[str, int]:
    import sqlalchemy as sa

    from firebell.infra.db import make_engine

    engine = make_engine(database_url)
    tables = ("services", "users", "teams", "schedules", "incidents", "alerts", "escalations", "pages", "action_items")
    with engine.connect() as conn:
        counts = {t: int(conn.execute(sa.text(f"select count(*) from {t}")).scalar_one()) for t in tables}
    engine.dispose()
    return counts


# --- the naive baseline -------------------------------------------------------------------------


def naive_scorecard(database_url: str, start: datetime, end: datetime) -> dict[str, Any]:
    """The whole-history scorecard computed row by row in Python: what a set-based query saves."""
    import sqlalchemy as sa

    from firebell.alerts.tables import AlertRow
    from firebell.incidents.tables import IncidentRow
    from firebell.infra.db import make_engine
    from firebell.paging.tables import PageRow

    incidents, alerts, pages = IncidentRow.__table__, AlertRow.__table__, PageRow.__table__
    engine = make_engine(database_url)
    with engine.connect() as conn:
        found = conn.execute(
            sa.select(incidents).where(
                incidents.c.opened_at >= start, incidents.c.opened_at < end, incidents.c.drill_id.is_(None)
            )
        ).all()
        fired = conn.execute(
            sa.select(alerts).where(alerts.c.first_seen_at >= start, alerts.c.first_seen_at < end)
        ).all()
        paged = conn.execute(sa.select(pages).where(pages.c.paged_at >= start, pages.c.paged_at < end)).all()
    engine.dispose()

    def summary(values: list[float]) -> dict[str, float | None]:
        if not values:
            return {"mean": None, "p50": None, "p90": None}
        ordered = sorted(values)
        return {"mean": statistics.fmean(ordered), "p50": pct(ordered, 0.5), "p90": pct(ordered, 0.9)}

    card: dict[str, Any] = {"incidents": len(found), "alerts": len(fired), "pages": len(paged), "by_sev": {}}
    for sev in [None, *SEVS]:
        rows = [r for r in found if sev is None or r.sev == sev]
        card["by_sev"][sev or "all"] = {
            name: summary([(getattr(r, column) - r.opened_at).total_seconds() for r in rows if getattr(r, column)])
            for name, column in (("mtta", "acknowledged_at"), ("mtti", "identified_at"), ("mttr", "resolved_at"))
        }
    seen: dict[tuple[str | None, str], datetime] = {}
    recurred = 0
    for r in sorted(found, key=lambda r: r.opened_at):
        key = (r.service_id, r.recurrence_key)
        if key in seen and r.opened_at - seen[key] <= timedelta(days=30):
            recurred += 1
        seen[key] = r.opened_at
    card["recurrence_rate"] = recurred / len(found) if found else None
    verdicts = Counter(a.verdict for a in fired)
    card["no_action_rate"] = verdicts["no_action"] / len(fired) if fired else None
    card["actionable_rate"] = verdicts["actionable"] / len(fired) if fired else None
    card["noisiest"] = Counter((a.service_id, a.name) for a in fired).most_common(10)
    per_user: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in paged:
        per_user[p.user_id][0] += 1
        per_user[p.user_id][1] += bool(p.after_hours)
    card["after_hours_share"] = sum(v[1] for v in per_user.values()) / len(paged) if paged else None
    return card


# --- timing -------------------------------------------------------------------------------------


def placeholders(now: datetime, org_busiest: tuple[str, str]) -> dict[str, str]:
    def iso(moment: datetime) -> str:
        return urllib.parse.quote(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))

    year_ago = now - timedelta(days=365)
    return {
        "now": iso(now),
        "two_years_ago": iso(now - timedelta(days=HISTORY_DAYS)),
        "one_year_ago": iso(year_ago),
        "month_year_ago": f"{year_ago:%Y-%m}",
        "service": urllib.parse.quote(org_busiest[0]),
        "team": urllib.parse.quote(org_busiest[1]),
    }


def time_requests(base: str, token: str, session: str, values: dict[str, str], repeat: int) -> list[dict[str, Any]]:
    import httpx

    results = []
    headers = {"authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, cookies={"firebell_session": session}, timeout=300) as client:
        for label, template in REQUESTS:
            path = template.format(**values)
            result: dict[str, Any] = {"request": label, "path": path, "status": None, "ms": [], "bytes": None}
            try:
                for run in range(repeat + 1):  # the first is the warm-up
                    began = time.perf_counter()
                    answer = client.get(path)
                    body = answer.content
                    elapsed = (time.perf_counter() - began) * 1000
                    result["status"], result["bytes"] = answer.status_code, len(body)
                    if answer.status_code != 200:
                        break
                    if run:
                        result["ms"].append(elapsed)
            except httpx.HTTPError as exc:
                result["error"] = f"{type(exc).__name__}: {exc}"[:120]
            results.append(result)
            print(f"  {label:34} {describe(result)}", flush=True)
    return results


def describe(result: dict[str, Any]) -> str:
    if result.get("error"):
        return f"error ({result['error']})"
    if result["status"] == 404:
        return "404 (missing)"
    if result["status"] != 200:
        return f"HTTP {result['status']}"
    ordered = sorted(result["ms"])
    return f"median {statistics.median(ordered):,.1f} ms, p90 {pct(ordered, 0.9):,.1f} ms, {result['bytes']:,} bytes"


def verdict(result: dict[str, Any]) -> str:
    if result["status"] != 200 or not result["ms"]:
        return "—"
    return "yes" if pct(sorted(result["ms"]), 0.9) < TARGET_MS else "**no**"


# --- databases and the run ----------------------------------------------------------------------


def pg_admin_url() -> str:
    return PG_URL.replace("postgresql+psycopg://", "postgresql://") + "/test"


def pg_database() -> tuple[str, str]:
    import psycopg

    name = f"fb_bench_metrics_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_URL}/{name}", name


def pg_drop(name: str) -> None:
    import psycopg

    with psycopg.connect(pg_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def pg_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(pg_admin_url(), autocommit=True) as conn:
        return conn.execute("select 1 from pg_database where datname = %s", (name,)).fetchone() is not None


def still_there(target: str, kept: dict[str, Any]) -> bool:
    return Path(kept["file"]).exists() if target == "sqlite" else pg_exists(kept["pg_name"])


def prepare(target: str, args: argparse.Namespace, workdir: Path, manifest: dict[str, Any]) -> dict[str, Any]:
    """A database holding the history: reused from --keep's manifest when it matches, else generated."""
    wanted = {"alerts": args.alerts, "incidents": args.incidents, "seed": args.seed}
    kept = manifest.get(target)
    if kept and "counts" in kept and {k: kept.get(k) for k in wanted} == wanted and still_there(target, kept):
        print(f"{target}: reusing the history generated {kept['now']} in {kept['url']}", flush=True)
        return kept
    if target == "sqlite":
        file = workdir / "metrics.db"
        for stale in (file, Path(f"{file}-wal"), Path(f"{file}-shm")):
            stale.unlink(missing_ok=True)
        url, info = f"sqlite:///{file}", {"file": str(file)}
    else:
        url, name = pg_database()
        info = {"pg_name": name}
    info.update(wanted, url=url)
    manifest[target] = info  # known before anything can fail, so the database is dropped
    firebell = Firebell(url, workdir, target)
    began = time.perf_counter()
    firebell.cli("db", "upgrade")
    now = datetime.now(UTC).replace(microsecond=0)
    org, token, session = set_up_org(url, now - timedelta(days=HISTORY_DAYS))
    schema_s = time.perf_counter() - began
    history = History(org, now, args.alerts, args.incidents, args.seed)
    phases = load_history(url, history)
    busiest = Counter(inc["svc"] for inc in history.inc).most_common(1)[0][0]
    info.update(
        now=now.isoformat(),
        token=token,
        session=session,
        busiest=[org.services[busiest], org.service_team[busiest]],
        generation_s=time.perf_counter() - began,
        schema_s=schema_s,
        phases=phases,
        counts=count_rows(url),
    )
    print(
        f"{target}: generated in {info['generation_s']:.1f} s (schema and organisation {schema_s:.1f} s; "
        + ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
        + ")\n  rows: "
        + ", ".join(f"{k} {v:,}" for k, v in info["counts"].items()),
        flush=True,
    )
    return info


def run_target(target: str, info: dict[str, Any], args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    now = datetime.fromisoformat(info["now"])
    values = placeholders(now, tuple(info["busiest"]))
    firebell = Firebell(info["url"], workdir, target)
    firebell.start()
    try:
        print(f"{target}: timing {len(REQUESTS)} requests, {args.repeat} runs each after a warm-up", flush=True)
        results = time_requests(firebell.url, info["token"], info["session"], values, args.repeat)
    finally:
        firebell.stop()
    baseline: list[float] = []
    start = now - timedelta(days=HISTORY_DAYS)
    for _ in range(args.baseline_repeat):
        began = time.perf_counter()
        naive_scorecard(info["url"], start, now + timedelta(seconds=1))
        baseline.append((time.perf_counter() - began) * 1000)
    print(f"  {'naive scorecard (Python)':34} median {statistics.median(baseline):,.0f} ms", flush=True)
    return {"results": results, "baseline_ms": baseline}


def report(targets: list[str], infos: dict[str, dict[str, Any]], runs: dict[str, dict[str, Any]], repeat: int) -> None:
    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    print("\n| database | request | median ms | p90 ms | size | met < 1 s |\n|---|---|---:|---:|---:|---|")
    for target in targets:
        for result in runs[target]["results"]:
            if result["status"] == 200 and result["ms"]:
                ordered = sorted(result["ms"])
                med, p90 = f"{statistics.median(ordered):,.1f}", f"{pct(ordered, 0.9):,.1f}"
                size = f"{result['bytes']:,} B"
            else:
                med, p90, size = describe(result), "—", "—"
            request = f"`{result['path'].split('?')[0]}` {result['request']}"
            print(f"| {names[target]} | {request} | {med} | {p90} | {size} | {verdict(result)} |")
    print("\nThe naive way (every incident, alert and page of the two years loaded into Python):\n")
    print("| database | naive scorecard median ms | whole-history endpoint median ms | ratio |\n|---|---:|---:|---:|")
    for target in targets:
        naive = statistics.median(runs[target]["baseline_ms"])
        fast = next(r for r in runs[target]["results"] if r["request"] == WHOLE_HISTORY)
        if fast["status"] == 200 and fast["ms"]:
            ms = statistics.median(fast["ms"])
            print(f"| {names[target]} | {naive:,.0f} | {ms:,.1f} | {naive / ms:,.0f}× |")
        else:
            print(f"| {names[target]} | {naive:,.0f} | {describe(fast)} | — |")
    print("\n| database | generation | incidents | alerts | pages | escalations | action items |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for target in targets:
        info, c = infos[target], infos[target]["counts"]
        print(
            f"| {names[target]} | {info['generation_s']:.0f} s | {c['incidents']:,} | {c['alerts']:,} | "
            f"{c['pages']:,} | {c['escalations']:,} | {c['action_items']:,} |"
        )
    print(f"\n{repeat} runs per request after one warm-up; p90 is the nearest rank; 'met' judges the p90.")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database (default: both)")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per request, after one warm-up")
    parser.add_argument(
        "--baseline-repeat", type=int, default=1, help="runs of the naive scorecard (2+ min at full size)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--keep", type=Path, help="keep the databases (SQLite file, PostgreSQL database) and logs in DIR, "
        "and reuse a history kept there with the same --alerts/--incidents/--seed"
    )  # fmt: skip
    args = parser.parse_args()
    targets = [args.only] if args.only else ["sqlite", "postgresql"]
    if args.keep:
        workdir = args.keep.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="firebell-bench-metrics-"))
    manifest_file = workdir / "manifest.json"
    manifest: dict[str, Any] = json.loads(manifest_file.read_text()) if manifest_file.exists() else {}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    print(f"work directory {workdir}; {os.cpu_count()} CPUs; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC", flush=True)
    infos: dict[str, dict[str, Any]] = {}
    runs: dict[str, dict[str, Any]] = {}
    try:
        for target in targets:
            infos[target] = prepare(target, args, workdir, manifest)
            if args.keep:
                manifest_file.write_text(json.dumps(manifest, indent=2))
            runs[target] = run_target(target, infos[target], args, workdir)
            if not args.keep and target == "postgresql":
                pg_drop(manifest.pop(target)["pg_name"])
    finally:
        if not args.keep:
            if "postgresql" in manifest:
                pg_drop(manifest["postgresql"]["pg_name"])
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept in {workdir} (manifest.json names the databases)")
    report(targets, infos, runs, args.repeat)


if __name__ == "__main__":
    main()
