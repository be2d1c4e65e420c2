"""The composition root: the one place that builds engines, the writer and the background engine."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from prometheus_client import Counter as PromCounter
from sqlalchemy.engine import Connection, Engine

from firebell.actionitems.mirror import WebhookMirror
from firebell.actionitems.model import Kind, Priority
from firebell.actionitems.repo import SqlActionItemRepo
from firebell.actionitems.service import create as create_action_item
from firebell.alerts.forward_runner import ForwardRunner
from firebell.alerts.opsgenie_repo import SqlOpsgenieRepo
from firebell.alerts.repo import SqlAlertRepo, encode_fixed_fields
from firebell.alerts.retention import RawPayloadRetention
from firebell.alerts.service import EventResult, Submission, ingest_batch, prepare
from firebell.audit import capture as audit
from firebell.catalog.repo import ConfigCache, SqlCatalogRepo, SqlServiceConfigs
from firebell.drills.repo import SqlDrillRepo
from firebell.heartbeats.runner import HeartbeatWatch
from firebell.identity.login_guard import LoginGuard, default_slots
from firebell.identity.oidc import OidcClient
from firebell.incidents.render_pool import RenderLimits, TemplateRenderer
from firebell.incidents.repo import SqlIncidentRepo
from firebell.incidents.service import IncidentIntake
from firebell.incidents.severity_repo import SqlSeverityTargetsRepo
from firebell.incidents.watch import TargetWatch
from firebell.infra.analyze import PlannerStatistics
from firebell.infra.change_watch import ChangeWatch
from firebell.infra.checkpoint import DiskRoom, WalCheckpoint
from firebell.infra.clock import ClockSync, database_clock
from firebell.infra.db import PoolRole, make_engine
from firebell.infra.engine import Engine as BackgroundEngine
from firebell.infra.engine import EngineModule
from firebell.infra.filelock import FileLock
from firebell.infra.installation_secret import with_installation_secret
from firebell.infra.metrics import Metrics
from firebell.infra.settings import Settings
from firebell.infra.snapshots import Snapshots
from firebell.infra.writer import GroupCommitWriter
from firebell.kernel.clock import Clock, SystemClock
from firebell.kernel.ids import secret_digest
from firebell.kernel.ratelimit import RateLimiter
from firebell.kernel.severity import Sev
from firebell.metrics.prometheus import IncidentMetrics
from firebell.oncall.notification_rules import RetryPolicy
from firebell.paging.announce import DeliveryMessenger, Destinations
from firebell.paging.channels.guard import GuardedTransport
from firebell.paging.channels.long_tail import AppriseChannel, SmsChannel
from firebell.paging.channels.slack_api import SlackApiChannel
from firebell.paging.channels.smtp import EmailChannel, SmtpConfig
from firebell.paging.channels.webhooks import SlackChannel, WebhookChannel
from firebell.paging.escalation_pass import FollowUp
from firebell.paging.gaps import UnreachedIncidents
from firebell.paging.joins import alert_joined
from firebell.paging.ports import Channel
from firebell.paging.reminders import ShiftReminders
from firebell.paging.repo import SqlPagingRepo
from firebell.paging.runner import DeliveryRunner, EscalationRunner, PagingTimers, SendLimits
from firebell.paging.service import Links
from firebell.paging.service import start_paging as start_incident_paging
from firebell.postmortems.watch import LearningWatch


@dataclass(frozen=True, slots=True)
class IntegrationRef:
    integration_id: str
    service_id: str
    kind: str
    config: dict[str, object]
    key_digest: str = ""


def incident_topic(incident_id: str) -> str:
    """What a change to one incident is called on the change feed (and what its page follows)."""
    return f"incident:{incident_id}"


class ChangeFeed:
    """Tells live pages that data changed: a version counter, what each recent change concerned,
    and waiters on the event loop.

    A change names what it concerns (`incident_topic(id)`, "alerts"), or nothing: then it may concern
    any page. A page following one incident hears only of changes to it and of unnamed ones, so a
    storm on other incidents does not make every open incident page refetch. Intake's changes are
    told as `minor` (alerts joined and repeated; what changes an incident's own row shows in its
    row): shared snapshots of an incident (infra/snapshots.py) only age with them.
    """

    REMEMBERED = 1024  # changes whose topics are kept; a waiter further behind hears of a change

    def __init__(self) -> None:
        self.version = 0
        self._log: deque[tuple[int, frozenset[str], bool]] = deque(maxlen=self.REMEMBERED)
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._lock = threading.Lock()

    def bump(self, *topics: str, minor: bool = False) -> None:
        with self._lock:
            self.version += 1
            self._log.append((self.version, frozenset(topics), minor and bool(topics)))
            waiters = list(self._waiters)
        for loop, event in waiters:
            loop.call_soon_threadsafe(event.set)

    def concerns(self, seen: int, upto: int, topic: str | None) -> bool:
        """Whether a change after version `seen`, up to `upto`, may concern a page following `topic`
        (None: every change does)."""
        if upto <= seen:
            return False
        if topic is None:
            return True
        with self._lock:
            if not self._log or self._log[0][0] > seen + 1:
                return True  # older than what is remembered: say yes
            for version, topics, _minor in reversed(self._log):
                if version <= seen:
                    return False
                if version <= upto and (not topics or topic in topics):
                    return True
        return False

    def changed_since(self, seen: int, topic: str) -> bool:
        """Whether a change after version `seen` may concern `topic` and is not minor: one naming it,
        or one naming nothing (a person's or the engine's: it may concern anything)."""
        with self._lock:
            if self.version <= seen:
                return False
            if not self._log or self._log[0][0] > seen + 1:
                return True  # older than what is remembered: say yes
            for version, topics, minor in reversed(self._log):
                if version <= seen:
                    return False
                if not topics or (topic in topics and not minor):
                    return True
        return False

    async def wait(self, seen: int, timeout: float, topic: str | None = None) -> tuple[int, bool]:
        """(the version now, whether a change after `seen` concerns `topic`), once one does or after
        `timeout` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        event = asyncio.Event()
        entry = (loop, event)
        with self._lock:
            self._waiters.add(entry)
        try:
            while True:
                event.clear()
                version = self.version
                if self.concerns(seen, version, topic):
                    return version, True
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return version, False
                with suppress(TimeoutError):
                    await asyncio.wait_for(event.wait(), remaining)
        finally:
            with self._lock:
                self._waiters.discard(entry)


@dataclass
class Container:
    settings: Settings
    engine: Engine
    clock: Clock
    metrics: Metrics
    changes: ChangeFeed
    writer: GroupCommitWriter[Submission, list[EventResult]]
    background: BackgroundEngine
    configs: ConfigCache
    links: Links
    deliveries: DeliveryRunner
    http: httpx.Client
    # Alert intake inside a caller's own write transaction (heartbeat pings), beside the writer's.
    intake_in: Callable[[Connection, list[Submission]], list[list[EventResult]]]
    intake_limiter: RateLimiter
    api_limiter: RateLimiter
    login_guard: LoginGuard
    oidc: OidcClient | None
    _key_cache: dict[str, tuple[float, IntegrationRef | None]] = field(default_factory=dict)
    _ingested_children: dict[tuple[str, str], PromCounter] = field(default_factory=dict)
    # Intake's pool (its writer, key lookups, the readiness probe) and the background engine's: each
    # its own, so web readers filling theirs never hold up alerts or pages.
    intake_engine: Engine = field(kw_only=True)
    background_engine: Engine = field(kw_only=True)
    # Key lookups that miss the cache run here, never on the event loop.
    key_lookups: ThreadPoolExecutor = field(kw_only=True)
    # What a crowd reads of one incident, built once a second at most (see infra/snapshots.py).
    snapshots: Snapshots = field(kw_only=True)
    # Sends accepted alert bodies on to the tool Firebell replaces, during a parallel run.
    forwards: ForwardRunner = field(kw_only=True)
    # Operators' communication templates render only here: worker processes, within hard limits.
    templates: TemplateRenderer = field(kw_only=True)

    def start(self) -> None:
        self.writer.start()
        self.background.start()

    def stop(self) -> None:
        self.writer.stop()
        self.background.stop()
        self.deliveries.stop()
        self.forwards.stop()
        self.http.close()
        self.key_lookups.shutdown(wait=False, cancel_futures=True)
        self.login_guard.close()
        self.templates.close()
        for engine in (self.engine, self.intake_engine, self.background_engine):
            engine.dispose()

    def messenger(self, conn: Connection) -> DeliveryMessenger:
        """Incident messages onto the delivery log, in the caller's transaction."""
        return DeliveryMessenger(SqlPagingRepo(conn), destinations(self.settings))

    def sent(self) -> None:
        """Wake the engine after a transaction that queued messages or escalated committed."""
        self.background.poke(EscalationRunner.name, DeliveryRunner.name)

    def catalog_changed(self) -> None:
        """Forget cached service configs and integration keys after a change to the catalog."""
        self.configs.clear()
        self._key_cache.clear()

    def forget_key_digest(self, digest: str) -> None:
        """Drop a key from the cache: another node rotated or disabled it."""
        for key in [k for k, (_, ref) in self._key_cache.items() if ref is not None and ref.key_digest == digest]:
            self._key_cache.pop(key, None)

    def cached_integration(self, key: str) -> tuple[bool, IntegrationRef | None]:
        """(known, integration) from the key cache alone: (False, None) when it must be looked up."""
        hit = self._key_cache.get(key)
        if hit is not None:
            ingest = self.settings.ingest
            ttl = ingest.key_cache_seconds if hit[1] is not None else ingest.unknown_key_cache_seconds
            if time.monotonic() - hit[0] < ttl:
                return True, hit[1]
        return False, None

    def integration_for_key(self, key: str) -> IntegrationRef | None:
        """Look up an integration by its secret key, with a short cache for hot senders (blocking:
        for a worker thread; the event loop awaits `integration` instead).

        Unknown keys are remembered too, for less time, so a sender retrying with a wrong key costs
        one database read per `unknown_key_cache_seconds` rather than one per request.
        """
        known, ref = self.cached_integration(key)
        if known:
            return ref
        now = time.monotonic()
        with self.intake_engine.connect() as conn:
            row = SqlCatalogRepo(conn).integration_by_digest(secret_digest(key))
        ref = (
            None
            if row is None
            else IntegrationRef(row["id"], row["service_id"], row["kind"], dict(row["config"] or {}), row["key_digest"])
        )
        if len(self._key_cache) > 10_000:
            self._key_cache.clear()
        self._key_cache[key] = (now, ref)
        return ref

    async def integration(self, key: str) -> IntegrationRef | None:
        """`integration_for_key` for the event loop: a cache hit answers at once, a miss is looked up
        in intake's own small pool of threads and connections."""
        known, ref = self.cached_integration(key)
        if known:
            return ref
        return await asyncio.get_running_loop().run_in_executor(self.key_lookups, self.integration_for_key, key)

    def dedup_key_of_alert(self, service_id: str, alert_id: str, id_type: str = "id") -> str | None:
        """The dedup key of the service's open alert with this id (or Opsgenie tiny id)."""
        with self.intake_engine.connect() as conn:
            if id_type == "tiny":
                found = SqlOpsgenieRepo(conn).find(service_id, alert_id, "tiny")
                if found is None or found["status"] == "resolved":
                    return None
                return str(found["dedup_key"])
            return SqlAlertRepo(conn).dedup_key_of(service_id, alert_id)

    async def dedup_key(self, service_id: str, alert_id: str, id_type: str = "id") -> str | None:
        """`dedup_key_of_alert` off the event loop."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.key_lookups, self.dedup_key_of_alert, service_id, alert_id, id_type)

    async def submit(self, submission: Submission) -> list[EventResult]:
        results = await self.writer.submit(prepare(submission, encode_fixed_fields))
        if len(results) == 1:
            self._ingested(submission.source, results[0].outcome).inc()
        else:
            for outcome, count in Counter(result.outcome for result in results).items():
                self._ingested(submission.source, outcome).inc(count)
        return results

    def _ingested(self, source: str, outcome: str) -> PromCounter:
        """The intake counter of a source and outcome (looked up once: `labels()` costs per call)."""
        child = self._ingested_children.get((source, outcome))
        if child is None:
            child = self._ingested_children[(source, outcome)] = self.metrics.ingested.labels(source, outcome)
        return child


class _Opened:
    """Incidents the intake writer opened (or alerts joined) since the paging engine was last woken,
    and what its last batches changed, for live pages (writer thread only)."""

    count = 0
    forwarded = False  # forwards were queued to old tools

    def __init__(self) -> None:
        self.touched: set[str] = set()


def _intake_batch(
    clock: Clock, cache: ConfigCache, opened: _Opened, places: Destinations
) -> Callable[[Connection, list[Submission]], list[list[EventResult]]]:
    def process(conn: Connection, batch: list[Submission]) -> list[list[EventResult]]:
        alerts = SqlAlertRepo(conn)
        paging = SqlPagingRepo(conn)

        drills = SqlDrillRepo(conn)

        def start_paging(
            *,
            incident_id: str,
            service_id: str,
            at: datetime,
            category: str | None,
            drill: str | None = None,
            sev: Sev = Sev.SEV1,
        ) -> None:
            only = drills.running_participants(drill, service_id) if drill else None
            if drill and only is not None:
                drills.update(drill, {"incident_id": incident_id})
            start_incident_paging(
                paging,
                SqlIncidentRepo(conn),
                incident_id=incident_id,
                service_id=service_id,
                sev=sev,
                at=at,
                category=category,
                only_user_ids=only,
            )

        def drill_check(drill: str, service_id: str) -> bool:
            return drills.running_participants(drill, service_id) is not None

        joined: set[str] = set()  # incidents this batch already reacted to (a storm joins one by one)

        def on_join(
            incident_id: str,
            *,
            alert_id: str,  # noqa: ARG001 - the protocol names it; the reaction is per incident
            summary: str,
            severity: Sev,
            raised_from: Sev | None,
            at: datetime,
        ) -> None:
            if raised_from is None and incident_id in joined:
                return
            joined.add(incident_id)
            repo = SqlIncidentRepo(conn)
            # Wake the engine after the commit only when the join paged or queued messages.
            opened.count += alert_joined(
                paging=paging,
                incidents=repo,
                roles=repo,
                messenger=DeliveryMessenger(paging, places),
                incident_id=incident_id,
                summary=summary,
                severity=severity,
                raised_from=raised_from,
                at=at,
            )

        incidents = IncidentIntake(
            SqlIncidentRepo(conn), start_paging=start_paging, drills=drill_check, on_join=on_join
        )
        configs = SqlServiceConfigs(conn, cache)
        results = ingest_batch(batch, alerts=alerts, incidents=incidents, configs=configs, now=clock.now())
        opened.forwarded = opened.forwarded or alerts.forwarded > 0
        opened.count += incidents.opened
        opened.touched.update(
            incident_topic(r.incident_id) if r.incident_id else "alerts" for each in results for r in each
        )
        return results

    return process


def _channels(settings: Settings, http: httpx.Client) -> dict[str, Channel]:
    smtp = settings.smtp
    return {
        "email": EmailChannel(
            SmtpConfig(
                smtp.host,
                smtp.port,
                smtp.sender,
                smtp.username,
                smtp.password.get_secret_value(),
                smtp.starttls,
                smtp.tls,
                smtp.timeout_seconds,
            )
        ),
        "slack": SlackChannel(http),
        "slack_api": SlackApiChannel(
            settings.slack.bot_token.get_secret_value(), settings.slack.api_url, settings.webhook.timeout_seconds
        ),
        "webhook": WebhookChannel(http, settings.webhook.signing_secret.get_secret_value().encode()),
        "apprise": AppriseChannel(settings.outbound.policy()),
        "sms": SmsChannel(settings.notify.sms_url),
    }


def destinations(settings: Settings) -> Destinations:
    slack = settings.slack
    return Destinations(
        incidents_webhook_url=slack.incidents_webhook_url.get_secret_value(),
        incidents_channel=slack.incidents_channel,
        slack_bot=bool(slack.bot_token.get_secret_value()),
        stakeholder_emails=tuple(settings.comms.emails),
        base_url=settings.base_url(),
    )


def link_key(settings: Settings) -> bytes:
    """The key that signs acknowledge links, derived from the secret key (never the key itself)."""
    return hmac.new(settings.secret_key.get_secret_value().encode(), b"firebell ack links", hashlib.sha256).digest()


def _intake_lock(engine: Engine) -> Callable[[], AbstractContextManager[None]] | None:
    """SQLite intake writers in several worker processes take turns through a lock file."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return FileLock(f"{database}.intake-lock").hold


def _disk_room(engine: Engine) -> DiskRoom | None:
    """A SQLite database file's disk, where intake stops short of the last of the space."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return DiskRoom(database)


def pool_roles(settings: Settings) -> tuple[PoolRole, PoolRole, PoolRole]:
    """The pools of web requests, intake and the background engine (see PoolSettings)."""
    pools = settings.pools
    connect, lock = pools.connect_timeout_seconds, pools.lock_timeout_seconds
    return (
        PoolRole(
            "web",
            pools.web_size,
            pools.web_overflow,
            pools.web_wait_seconds,
            connect,
            pools.web_statement_timeout_seconds,
            pools.web_lock_timeout_seconds,
        ),
        # the writer's own connection, the key lookups (intake_size at once) and the readiness probe
        PoolRole("intake", pools.intake_size + 2, 2, 10.0, connect, pools.intake_statement_timeout_seconds, lock),
        PoolRole(
            "engine",
            pools.engine_size,
            pools.engine_overflow,
            30.0,
            connect,
            pools.engine_statement_timeout_seconds,
            lock,
        ),
    )


def bootstrap(settings: Settings, *, clock: Clock | None = None, inline_delivery: bool = False) -> Container:
    """Wire every concrete adapter from the settings. Nothing runs until `start()`.

    `inline_delivery` sends notifications in the engine's own thread, so a test that ticks the
    engine by hand sees every send finished when `tick()` returns.
    """
    settings = with_installation_secret(settings)
    # Three pools, so that none of web requests, intake and the background engine can starve the others.
    web_engine, intake_engine, engine = (
        make_engine(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous, role=role)
        for role in pool_roles(settings)
    )
    # One time for every node: the database's clock (infra/clock.py), kept by the engine's ClockSync.
    reference = database_clock(engine) if clock is None else None
    clock = reference or clock or SystemClock()
    for each in (web_engine, intake_engine, engine):
        audit.install(each, clock)
    metrics = Metrics()
    metrics.registry.register(
        IncidentMetrics(
            web_engine,
            clock,
            stale_after_days=settings.runbooks.stale_after_days,
            name_people=settings.metrics.name_people,
        )
    )
    metrics.registry.register(UnreachedIncidents(web_engine))
    changes = ChangeFeed()
    configs = ConfigCache(ttl=settings.ingest.config_cache_seconds)

    modules: list[EngineModule] = [] if reference is None else [ClockSync(reference)]
    background = BackgroundEngine(modules, clock)
    opened = _Opened()

    def on_batch(size: int, _depth: int) -> None:
        metrics.batch_size.observe(size)
        touched, opened.touched = opened.touched, set()
        changes.bump(*touched, minor=True)  # what the batch changed (nothing named: any page may refresh)
        if opened.count:
            opened.count = 0
            background.poke(EscalationRunner.name, DeliveryRunner.name)
        if opened.forwarded:
            opened.forwarded = False
            background.poke(ForwardRunner.name)

    room = _disk_room(engine)
    writer: GroupCommitWriter[Submission, list[EventResult]] = GroupCommitWriter(
        intake_engine,
        _intake_batch(clock, configs, opened, destinations(settings)),
        max_batch=settings.ingest.max_batch,
        on_batch=on_batch,
        lock=_intake_lock(engine),
        precheck=room.refusal if room is not None else None,
    )
    retention = RawPayloadRetention(
        engine,
        keep=timedelta(days=settings.retention.raw_payload_days),
        every=timedelta(seconds=settings.retention.sweep_interval_seconds),
    )
    links = Links(settings.base_url(), link_key(settings), timedelta(hours=settings.notify.ack_link_hours))
    # Outbound webhooks reach only addresses the operator allows (no calls into Firebell's own network).
    http = httpx.Client(
        timeout=settings.webhook.timeout_seconds,
        follow_redirects=False,
        transport=GuardedTransport(settings.outbound.policy()),
    )
    notify = settings.notify

    def on_attempt(channel: str, outcome: str, seconds: float) -> None:
        metrics.notifications.labels(channel, outcome).inc()
        metrics.notification_seconds.labels(channel).observe(seconds)

    deliveries = DeliveryRunner(
        engine,
        _channels(settings, http),
        clock,
        retry=RetryPolicy(
            attempts=notify.attempts,
            base=timedelta(seconds=notify.backoff_base_seconds),
            cap=timedelta(seconds=notify.backoff_cap_seconds),
        ),
        lease=timedelta(seconds=notify.lease_seconds),
        limits=SendLimits(per_channel=notify.workers, per_destination=notify.destination_workers),
        on_done=lambda: background.poke(DeliveryRunner.name),
        on_recorded=lambda ids: changes.bump(*map(incident_topic, sorted(ids))) if ids else None,
        on_attempt=on_attempt,
        inline=inline_delivery,
    )

    def on_paged() -> None:
        background.poke(DeliveryRunner.name)
        changes.bump()  # live pages show the page at once, not at the next change-watch poll

    escalations = EscalationRunner(
        engine, links, on_paged=on_paged, on_changed=changes.bump, follow_ups=_follow_ups(settings)
    )
    intake_in = _intake_batch(clock, configs, _Opened(), destinations(settings))
    heartbeats = HeartbeatWatch(engine, intake_in, on_raised=lambda: background.poke(EscalationRunner.name))
    reminders = ShiftReminders(engine, settings.base_url(), on_planned=lambda: background.poke(DeliveryRunner.name))
    watch = TargetWatch(engine, destinations(settings), on_reminded=lambda: background.poke(DeliveryRunner.name))
    learning = LearningWatch(
        engine,
        destinations(settings),
        remind_every=timedelta(hours=settings.learning.remind_every_hours),
        on_queued=lambda: background.poke(DeliveryRunner.name),
    )
    timers = PagingTimers(engine, on_paged=lambda: background.poke(EscalationRunner.name))
    forwards = ForwardRunner(
        engine,
        http,
        clock,
        # Outlasts the sends of one claim (each within the client's timeout), so none is sent twice.
        lease=timedelta(seconds=(settings.webhook.timeout_seconds + 5) * FORWARDS_PER_CLAIM + 30),
        per_integration=FORWARDS_PER_CLAIM,
        on_outcome=lambda outcome: metrics.forwards.labels(outcome.value).inc(),
        on_done=lambda: background.poke(ForwardRunner.name),
        inline=inline_delivery,
    )
    modules += [
        heartbeats,
        timers,
        escalations,
        reminders,
        watch,
        learning,
        deliveries,
        forwards,
        retention,
        ChangeWatch(engine, changes.bump),
    ]
    if engine.dialect.name == "sqlite":
        modules.append(WalCheckpoint(engine, room=room, on_room=background.poke))
    elif engine.dialect.name == "postgresql":
        modules.append(PlannerStatistics(engine))
    metrics.queue_depth.set_function(writer.depth)
    limits = settings.limits
    return Container(
        settings,
        web_engine,
        clock,
        metrics,
        changes,
        writer,
        background,
        configs,
        links,
        deliveries,
        http,
        intake_in,
        intake_limiter=RateLimiter(limits.intake_per_second, limits.intake_burst),
        api_limiter=RateLimiter(limits.api_per_second, limits.api_burst),
        login_guard=_login_guard(settings),
        oidc=_oidc(settings),
        intake_engine=intake_engine,
        background_engine=engine,
        key_lookups=ThreadPoolExecutor(settings.pools.intake_size, thread_name_prefix="firebell-keys"),
        # Aged by the clock the pages read (a snapshot holds "now"-dependent standings).
        snapshots=Snapshots(
            changes, ttl=settings.pools.web_snapshot_seconds, monotonic=lambda: clock.now().timestamp()
        ),
        forwards=forwards,
        templates=_templates(settings),
    )


def _login_guard(settings: Settings) -> LoginGuard:
    login = settings.login
    return LoginGuard(
        secret=settings.secret_key.get_secret_value().encode(),
        slots=login.hashing_slots or default_slots(os.cpu_count()),
        per_address_per_minute=login.per_address_per_minute,
        address_burst=login.address_burst,
        email_free_failures=login.email_free_failures,
        email_max_delay=login.email_max_delay_seconds,
    )


def _templates(settings: Settings) -> TemplateRenderer:
    limits = settings.templates
    return TemplateRenderer(
        RenderLimits(limits.max_output_chars, limits.render_seconds, limits.memory_mb), limits.workers
    )


FORWARDS_PER_CLAIM = 8  # an integration's forwards sent in one go, in order


# A follow-up is due by its severity's resolve target (SEV-4: the next sprint), else in two weeks.
FOLLOW_UP_WITHIN = timedelta(days=14)


def _follow_ups(settings: Settings) -> Callable[[Connection], FollowUp]:
    """Opens an action item for an incident whose severity pages nobody (mirrored to the tracker)."""

    def for_transaction(conn: Connection) -> FollowUp:
        def follow_up(*, incident_id: str, number: int, title: str, sev: Sev, now: datetime) -> str:
            url = settings.learning.action_items_webhook_url
            messenger = DeliveryMessenger(SqlPagingRepo(conn), destinations(settings)) if url else None
            item = create_action_item(
                SqlActionItemRepo(conn),
                SqlIncidentRepo(conn),
                WebhookMirror(url, messenger, settings.base_url()),
                incident_id=incident_id,
                title=f"Follow up {sev} #{number}: {title}",
                priority=Priority.P3,
                kind=Kind.IMMEDIATE,
                owner_id=None,
                due=(now + (SqlSeverityTargetsRepo(conn).targets()[sev].resolve or FOLLOW_UP_WITHIN)).date(),
                description=f"{sev} pages nobody: handle it in the normal course of work (incident #{number}).",
                actor="firebell",
                at=now,
            )
            return f"action item AI-{item['number']}"

        return follow_up

    return for_transaction


def _oidc(settings: Settings) -> OidcClient | None:
    oidc = settings.oidc
    if not oidc.enabled:
        return None
    return OidcClient(
        issuer=oidc.issuer,
        client_id=oidc.client_id,
        client_secret=oidc.client_secret.get_secret_value(),
        scopes=oidc.scopes,
        signing_key=hashlib.sha256(b"oidc-flow:" + settings.secret_key.get_secret_value().encode()).digest(),
        http=httpx.Client(follow_redirects=False),  # the operator's provider, internal or not
    )
