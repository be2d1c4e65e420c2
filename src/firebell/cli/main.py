"""The `firebell` command: admin commands on the configured database, responder commands over HTTP."""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from firebell.alerts.grouping import GroupingFields
from firebell.cli import settings_file
from firebell.cli.client import Api, ApiError
from firebell.kernel.errors import DomainError
from firebell.kernel.redact import without_passwords

# A traceback never lists local values: they may hold the database URL or a token.
app = typer.Typer(
    help="Firebell: self-hosted incident response.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Users (admin, on the configured database).", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (admin, on the configured database).", no_args_is_help=True)
service_app = typer.Typer(
    help="Services: create, update and maintenance on the configured database (admin); show through a server's API.",
    no_args_is_help=True,
)
integration_app = typer.Typer(help="Integrations (admin, on the configured database).", no_args_is_help=True)
alert_app = typer.Typer(help="Alerts (through a server's API).", no_args_is_help=True)
incident_app = typer.Typer(help="Incidents (through a server's API).", no_args_is_help=True)
oncall_app = typer.Typer(help="Who is on call (through a server's API).", no_args_is_help=True)
schedule_app = typer.Typer(help="Schedules (through a server's API).", no_args_is_help=True)
team_app = typer.Typer(help="Teams' members and roles (admin, on the configured database).", no_args_is_help=True)
config_app = typer.Typer(help="Configuration.", no_args_is_help=True)
for sub, name in (
    (db_app, "db"),
    (user_app, "user"),
    (token_app, "token"),
    (service_app, "service"),
    (integration_app, "integration"),
    (alert_app, "alert"),
    (incident_app, "incident"),
    (oncall_app, "oncall"),
    (schedule_app, "schedule"),
    (team_app, "team"),
    (config_app, "config"),
):
    app.add_typer(sub, name=name)


def _version(shown: bool) -> None:
    if shown:
        from importlib.metadata import PackageNotFoundError, version

        from firebell import __version__

        try:
            number = version("firebell")
        except PackageNotFoundError:
            number = __version__
        print(f"firebell {number}")
        raise typer.Exit()


@app.callback()
def _main(
    _version_flag: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit"),
    ] = False,
) -> None:
    """Firebell: self-hosted incident response."""


out = Console(soft_wrap=True)  # one-line answers stay one line when piped
err = Console(stderr=True)


def fail(message: str) -> typer.Exit:
    err.print(f"error: {without_passwords(message)}", markup=False, highlight=False, soft_wrap=True)
    return typer.Exit(1)


@contextmanager
def errors() -> Iterator[None]:
    """Turn every expected failure into one line on stderr and exit status 1."""
    try:
        yield
    except DomainError as exc:
        raise fail(exc.message) from None
    except ApiError as exc:
        raise fail(str(exc)) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where, said = ".".join(str(p) for p in first["loc"]), first["msg"].removeprefix("Value error, ")
        raise fail(f"{where}: {said}" if where else said) from None
    except ValueError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"{exc.filename or 'file'}: {exc.strerror or exc}") from None
    except Exception as exc:
        message = _database_problem(exc)
        if message is None:
            raise
        raise fail(message) from None


def _database_problem(exc: Exception) -> str | None:
    """One line for a database that is missing, unreachable or without Firebell's tables; the URL's
    password is never shown."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    if not isinstance(exc, OperationalError | ProgrammingError):
        return None
    url, password = _shown_database_url()
    text = str(exc.orig) if exc.orig is not None else str(exc)
    if password:  # in case the driver's message quotes it
        text = text.replace(password, "***")
    if "no such table" in text or ("relation" in text and "does not exist" in text):
        return f"the database {url} has no Firebell tables: run `firebell db upgrade`, or set FIREBELL_DATABASE_URL"
    return f"cannot use the database {url}: {text.splitlines()[0]}"


def _shown_database_url() -> tuple[str, str]:
    """The configured database URL as shown (password masked), and its password."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    url = os.environ.get("FIREBELL_DATABASE_URL")
    if url is None:
        return "sqlite:///./firebell.db (the default)", ""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "named by FIREBELL_DATABASE_URL", ""  # unparsed: where its password ends is unknown
    return parsed.render_as_string(hide_password=True), parsed.password or ""


def server_url() -> str:
    """The server's address as printed in URLs by commands that work on the database: the public URL
    setting, else the CLI's server URL (FIREBELL_URL, else the CLI settings file), else the address
    `serve` binds (FIREBELL_HOST and FIREBELL_PORT)."""
    from firebell.infra.settings import Settings

    settings = Settings()
    if settings.public_url:
        return settings.base_url()
    chosen = os.environ.get("FIREBELL_URL") or settings_file.read().get("url")
    return chosen.rstrip("/") if chosen else settings.base_url()


def _container(**overrides: Any) -> Any:
    from firebell.bootstrap import bootstrap
    from firebell.infra.settings import Settings

    return bootstrap(Settings(**overrides))


def _admin(run: Callable[[Any, Any], Any]) -> Any:
    """Run an admin use case in one write transaction on the configured database, audited as the
    operating-system user who ran the command."""
    from firebell.infra.db import transaction

    with errors(), operator():
        container = _container()
        with transaction(container.engine, write=True) as conn:
            return run(conn, container.clock.now())


@contextmanager
def operator() -> Iterator[None]:
    """Changes made on the database directly are the operating-system user's, by this command."""
    import getpass

    from firebell.audit.capture import acting_as

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    words = [a for a in sys.argv[1:4] if not a.startswith("-")]
    with acting_as(f"cli:{who}", via=" ".join(["firebell", *words])):
        yield


# --- server and schema --------------------------------------------------------------------


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (FIREBELL_HOST)")] = None,
    port: Annotated[int | None, typer.Option(help="port (FIREBELL_PORT)")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="worker processes (FIREBELL_WORKERS)")] = None,
    demo: Annotated[
        bool, typer.Option(help="seed a demo organisation to explore, with a built-in inbox for its email pages")
    ] = False,
) -> None:
    """Run the API, web UI and background engine (migrations applied first)."""
    from firebell.demo import DEMO_EMAIL, DEMO_PASSWORD, demo_cli_token, seed_demo
    from firebell.infra import migrate
    from firebell.web.server import check_tls, run_server

    overrides = {k: v for k, v in {"host": host, "port": port, "workers": workers}.items() if v is not None}
    for key, value in overrides.items():
        os.environ[f"FIREBELL_{key.upper()}"] = str(value)  # the worker processes read the same settings
    with errors():
        inbox = _demo_inbox_environment() if demo else ""
        container = _container()
        migrate.upgrade(container.engine)
        settings = container.settings
        check_tls(settings.tls)
        if demo:
            seeded = seed_demo(container)
            if seeded.skipped:
                raise fail(f"demo not seeded: {seeded.skipped} (set FIREBELL_DATABASE_URL to a new file)")
            _demo_banner(settings, seeded.keys, demo_cli_token(container), inbox, DEMO_EMAIL, DEMO_PASSWORD)
        container.engine.dispose()
    run_server(settings)


def _demo_inbox_environment() -> str:
    """Point email at the demo's built-in inbox, unless FIREBELL_SMTP__HOST names a server or several
    workers serve (each would need its own); what the banner says about where email goes."""
    from firebell.infra.demo_inbox import HOST, free_port
    from firebell.infra.settings import Settings

    if os.environ.get("FIREBELL_SMTP__HOST"):
        return f"email pages go to the SMTP server {os.environ['FIREBELL_SMTP__HOST']} (FIREBELL_SMTP__HOST)"
    settings = Settings()
    if settings.workers > 1:
        return "no built-in inbox with several workers: set FIREBELL_SMTP__HOST/PORT to an SMTP server"
    smtp_port = settings.demo.inbox_port or free_port()
    os.environ["FIREBELL_DEMO__INBOX"] = "true"
    os.environ["FIREBELL_DEMO__INBOX_PORT"] = str(smtp_port)
    os.environ["FIREBELL_SMTP__HOST"] = HOST
    os.environ["FIREBELL_SMTP__PORT"] = str(smtp_port)
    return ""


def _demo_banner(settings: Any, keys: dict[str, str], token: str, inbox: str, email: str, password: str) -> None:
    """What the demo prints at start: where to log in, the integration keys, the inbox, and the CLI's
    settings (written to the CLI settings file, and as export lines)."""
    base = settings.base_url()
    cli_url = _reachable_url(settings)
    print(f"Demo: log in at {base}/login as {email} / {password}")
    for name, key in keys.items():
        print(f"  integration key for {name}: {key}")
    if inbox:
        print(f"  {inbox}")
    else:
        print(f"  email pages land in the built-in inbox: {base}/demo/inbox")
    where, written = settings_file.write_demo(cli_url, token)
    saved = f"saved in {where}" if written else f"not saved: {where} is not the demo's own"
    print(f"CLI: a new API token for {email} ({saved}; the previous demo token no longer works):")
    print(f"  export FIREBELL_URL={cli_url} FIREBELL_TOKEN={token}")
    print('Fire a test alert: firebell alert send --service checkout --severity critical --summary "Checkout is down"')
    print("then see the page: firebell deliveries, and the inbox above", flush=True)


def _reachable_url(settings: Any) -> str:
    """How the CLI on this machine reaches the server: the public URL, else the bound address (a
    wildcard address as 127.0.0.1)."""
    if settings.public_url:
        return str(settings.base_url())
    host = "127.0.0.1" if settings.host in ("", "0.0.0.0", "::") else settings.host  # noqa: S104 - compared, not bound
    if ":" in host:
        host = f"[{host}]"
    scheme = "https" if settings.tls.enabled else "http"
    return f"{scheme}://{host}:{settings.port}"


@config_app.command("reference")
def config_reference() -> None:
    """Print every setting, its environment variable, default and meaning, as Markdown."""
    from firebell.infra.config_reference import reference

    sys.stdout.write(reference())


@config_app.command("check")
def config_check() -> None:
    """Read the settings from the environment and say whether they are valid (exit 1 if not)."""
    from firebell.infra.settings import Settings

    with errors():
        settings = Settings()
    database = without_passwords(settings.database_url)
    out.print(f"settings are valid: {settings.env}, database {database}", markup=False)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    from firebell.infra import migrate

    with errors():
        container = _container()
        migrate.upgrade(container.engine)
        out.print(f"database at revision {migrate.head()}")


# --- admin commands -------------------------------------------------------------------------


@user_app.command("create")
def user_create(
    email: str,
    role: Annotated[str, typer.Option(help="admin, responder or viewer: their role outside any team")] = "responder",
    admin: Annotated[bool, typer.Option("--admin", help="the same as --role admin")] = False,
    password: Annotated[str | None, typer.Option(envvar="FIREBELL_NEW_PASSWORD", help="else one is generated")] = None,
) -> None:
    """Create a user who can log in to the web UI. A generated password is printed last."""
    from firebell.identity.model import Role, parse_role
    from firebell.identity.repo import SqlIdentityRepo
    from firebell.identity.service import create_user

    with errors():
        chosen_role = Role.ADMIN if admin else parse_role(role)
    chosen = password or secrets.token_urlsafe(12)
    _admin(
        lambda conn, now: create_user(
            repo=SqlIdentityRepo(conn), email=email, password=chosen, role=chosen_role, now=now
        )
    )
    out.print(f"created {chosen_role} user {email}")
    if password is None:
        print(chosen)


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="what the token is for")],
    scope: Annotated[str, typer.Option(help="read, respond or admin")] = "respond",
    user: Annotated[
        str | None, typer.Option(help="the user it acts for (email); it can then do no more than they can")
    ] = None,
    expires_in: Annotated[str | None, typer.Option(help="how long it works: 30d, 12h (default: until revoked)")] = None,
) -> None:
    """Create an API token; the token is printed alone on the last line."""
    from firebell.identity.repo import SqlIdentityRepo
    from firebell.identity.service import create_token, user_id_of
    from firebell.oncall.escalation import parse_duration

    with errors():
        lasts = parse_duration(expires_in) if expires_in is not None else None

    def run(conn: Any, now: Any) -> str:
        repo = SqlIdentityRepo(conn)
        user_id = user_id_of(repo=repo, email=user) if user else None
        expires_at = now + lasts if lasts is not None else None
        return create_token(repo=repo, name=name, scope=scope, now=now, user_id=user_id, expires_at=expires_at)

    token = _admin(run)
    acting = f" acting for {user}" if user else ""
    until = f", expiring in {expires_in}" if expires_in else ""
    out.print(f"created token {name!r} with scope {scope}{acting}{until}; it is shown only once:")
    print(token)


GroupingOpt = Annotated[
    str | None,
    typer.Option(help="alert (the same alert joins; the default), labels (same --group-by values), service or none"),
]
WindowOpt = Annotated[str, typer.Option(help="how long after an incident opens alerts may join it: 5m, 90s, 0 = off")]
GroupByOpt = Annotated[list[str] | None, typer.Option(help="a label alerts must share (repeatable); implies labels")]
CLI_GROUPING = GroupingFields("--grouping", "--group-by", "--grouping-window")


@service_app.command("create")
def service_create(
    name: str,
    owner_team: Annotated[str, typer.Option(help="the team that owns it")] = "",
    tier: Annotated[int, typer.Option(help="1 business critical, 2 important, 3 supporting")] = 2,
    runbook_url: Annotated[str | None, typer.Option(help="default runbook for its incidents")] = None,
    grouping: GroupingOpt = None,
    grouping_window: WindowOpt = "5m",
    group_by: GroupByOpt = None,
    no_auto_resolve: Annotated[bool, typer.Option(help="keep incidents open when their alerts resolve")] = False,
) -> None:
    """Create a service."""
    from firebell.alerts.grouping import parse_window
    from firebell.catalog.repo import SqlCatalogRepo
    from firebell.catalog.service import create_service

    with errors():
        window = int(parse_window(grouping_window, "--grouping-window").total_seconds())
    service_id = _admin(
        lambda conn, now: create_service(
            repo=SqlCatalogRepo(conn),
            name=name,
            now=now,
            owner_team=owner_team,
            tier=tier,
            runbook_url=runbook_url,
            grouping_mode=grouping,
            grouping_window_seconds=window,
            group_by_labels=group_by,
            grouping_fields=CLI_GROUPING,
            auto_resolve=not no_auto_resolve,
        )
    )
    out.print(f"created service {name}")
    print(service_id)


@service_app.command("maintenance")
def service_maintenance(
    name: str,
    minutes: Annotated[int, typer.Option(min=1, help="how long, from --start")] = 60,
    start: Annotated[
        str | None, typer.Option(help="ISO time with zone, e.g. 2026-12-01T22:00+01:00; default now")
    ] = None,
    reason: Annotated[str, typer.Option(help="shown on suppressed alerts")] = "maintenance",
) -> None:
    """Open a maintenance window: new alerts are stored but open no incident until it ends."""
    from datetime import datetime, timedelta

    from firebell.catalog.repo import SqlCatalogRepo
    from firebell.catalog.service import add_maintenance

    def run(conn: Any, now: Any) -> tuple[datetime, datetime]:
        starts_at = datetime.fromisoformat(start) if start else now
        if starts_at.tzinfo is None:
            raise ValueError("--start needs a time zone, e.g. 2026-12-01T22:00+00:00")
        ends_at = starts_at + timedelta(minutes=minutes)
        add_maintenance(
            repo=SqlCatalogRepo(conn), service=name, starts_at=starts_at, ends_at=ends_at, reason=reason, now=now
        )
        return starts_at, ends_at

    starts_at, ends_at = _admin(run)
    out.print(f"maintenance window for {name}: {starts_at.isoformat()} to {ends_at.isoformat()} ({reason})")


@integration_app.command("create")
def integration_create(
    service: Annotated[str, typer.Option(help="service name")],
    kind: Annotated[str, typer.Option(help="alertmanager, pagerduty, opsgenie or webhook")],
    name: Annotated[str, typer.Option(help="a label for it")] = "",
    mapping: Annotated[str | None, typer.Option(help="webhook field mapping as JSON")] = None,
    key: Annotated[
        str | None,
        typer.Option(help="a key the senders already use (a PagerDuty routing key, an Opsgenie API key)"),
    ] = None,
    forward_to: Annotated[
        str | None, typer.Option(help="during a parallel run, the old tool's endpoint to forward what it accepts to")
    ] = None,
) -> None:
    """Create an integration; its secret key is printed alone on the last line."""
    from firebell.catalog.model import IntegrationKind, intake_url
    from firebell.catalog.repo import SqlCatalogRepo
    from firebell.catalog.service import create_integration

    with errors():
        parsed = json.loads(mapping) if mapping else None
        if parsed is not None and not isinstance(parsed, dict):
            raise ValueError("--mapping must be a JSON object")
    _id, key = _admin(
        lambda conn, now: create_integration(
            repo=SqlCatalogRepo(conn),
            service=service,
            kind=kind,
            now=now,
            name=name,
            mapping=parsed,
            key=key,
            forward_to=forward_to,
        )
    )
    url = intake_url(IntegrationKind(kind), key, server_url())
    how = {"pagerduty": "as routing_key", "opsgenie": "as 'Authorization: GenieKey <key>'"}.get(kind, "in the URL")
    shown = "" if key is not None else " (shown once)"
    out.print(f"created {kind} integration for {service}; send to {url} with the key {how}. Key{shown}:")
    print(key)


@integration_app.command("forward")
def integration_forward(
    service: Annotated[str, typer.Option(help="service name")],
    integration: Annotated[str, typer.Option(help="the integration's name or id")],
    to: Annotated[
        str | None, typer.Option("--to", help="the old tool's endpoint, e.g. https://events.pagerduty.com/v2/enqueue")
    ] = None,
    off: Annotated[bool, typer.Option("--off", help="stop forwarding")] = False,
) -> None:
    """Forward every body the integration accepts to the tool Firebell replaces (a parallel run)."""
    from firebell.catalog.repo import SqlCatalogRepo
    from firebell.catalog.service import set_forward

    with errors():
        if off == (to is not None):
            raise ValueError("give --to URL, or --off")
    _admin(
        lambda conn, _now: set_forward(
            repo=SqlCatalogRepo(conn), service=service, integration=integration, forward_to=None if off else to
        )
    )
    what = "off" if off else f"on: every body it accepts is sent on to {to}"
    out.print(f"forwarding of {integration} on {service} is {what}", markup=False)


# --- responder commands ---------------------------------------------------------------------

# Flag, then environment variable, then the CLI's settings file (cli/settings_file.py), then the default.
UrlOpt = Annotated[
    str,
    typer.Option(
        "--url", envvar="FIREBELL_URL", help="server URL (else cli.toml)", callback=settings_file.from_file("url")
    ),
]
TokenOpt = Annotated[
    str,
    typer.Option(
        "--token",
        envvar="FIREBELL_TOKEN",
        help="API token (else cli.toml)",
        show_default=False,
        callback=settings_file.from_file("token"),
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON for scripts")]
LimitOpt = Annotated[int | None, typer.Option(min=1, help="at most this many (default: all)")]


def _emit(rows: list[dict[str, Any]], as_json: bool, columns: list[tuple[str, str]], title: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    table = Table(title=title, header_style="bold", expand=False)
    for _key, header in columns:
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*[_cell(row.get(key)) for key, _h in columns])
    out.print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str) and len(value) >= 19 and value[10] == "T" and value[4] == "-":
        return value[:19].replace("T", " ")  # an ISO timestamp from the API, shown to the second
    return str(value)


@alert_app.command("send")
def alert_send(
    service: Annotated[str, typer.Option(help="service name")],
    summary: Annotated[str, typer.Option(help="what is wrong")] = "Test alert from the Firebell CLI",
    severity: Annotated[str, typer.Option(help="critical, error, warning or info")] = "warning",
    dedup_key: Annotated[str | None, typer.Option(help="repeat a key to deduplicate")] = None,
    action: Annotated[str, typer.Option(help="trigger, acknowledge or resolve")] = "trigger",
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Send a test alert to a service."""
    with errors():
        body = {"service": service, "summary": summary, "severity": severity, "action": action}
        if dedup_key:
            body["dedup_key"] = dedup_key
        results = Api(url, token or os.environ.get("FIREBELL_TOKEN")).request("POST", "/api/v1/alerts", json=body)
    _emit(
        results,
        as_json,
        [("outcome", "Outcome"), ("dedup_key", "Dedup key"), ("alert_id", "Alert"), ("incident_id", "Incident")],
        "Sent",
    )


@alert_app.command("list")
def alert_list(
    status: Annotated[str | None, typer.Option(help="open, triggered, acknowledged or resolved")] = None,
    service: Annotated[str | None, typer.Option(help="service name")] = None,
    limit: LimitOpt = None,
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """List alerts, most recently seen first."""
    with errors():
        params = {k: v for k, v in {"status": status, "service": service}.items() if v}
        rows = Api(url, token).paged("/api/v1/alerts", params, limit)
    _emit(
        rows,
        as_json,
        [
            ("severity", "Severity"),
            ("status", "Status"),
            ("summary", "Summary"),
            ("service", "Service"),
            ("count", "Count"),
            ("incident_number", "Incident"),
            ("last_seen_at", "Last seen (UTC)"),
            ("verdict", "Verdict"),
        ],
        "Alerts",
    )


@incident_app.command("list")
def incident_list(
    status: Annotated[str | None, typer.Option(help="open, or a state such as detected or resolved")] = None,
    service: Annotated[str | None, typer.Option(help="service name")] = None,
    limit: LimitOpt = None,
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """List incidents, newest first."""
    with errors():
        params = {k: v for k, v in {"status": status, "service": service}.items() if v}
        rows = Api(url, token).paged("/api/v1/incidents", params, limit)
    _emit(
        rows,
        as_json,
        [
            ("number", "#"),
            ("sev", "Severity"),
            ("status", "Status"),
            ("title", "Title"),
            ("service", "Service"),
            ("alert_count", "Alerts"),
            ("opened_at", "Opened (UTC)"),
        ],
        "Incidents",
    )


@app.command("apply")
def apply_config(
    file: Annotated[Path, typer.Option("-f", "--file", help="the YAML file: users, teams, schedules, policies")],
) -> None:
    """Create or update the on-call configuration a YAML file declares (idempotent; all or nothing)."""
    from firebell.catalog.repo import SqlCatalogRepo
    from firebell.identity.repo import SqlIdentityRepo
    from firebell.incidents.severity_repo import SqlSeverityTargetsRepo
    from firebell.infra.settings import Settings
    from firebell.kernel.errors import ValidationFailed
    from firebell.oncall.config_file import load, locate, located, split_field
    from firebell.oncall.departures import disabled_references
    from firebell.oncall.repo import SqlOncallRepo
    from firebell.oncall.service import apply
    from firebell.statuspage.config import apply_status_page

    with errors():
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise fail(f"cannot read {file}: {exc.strerror}") from None
        config, tree = load(text, str(file))

        def run(conn: Any, now: Any) -> list[str]:
            try:
                changes = apply(
                    config,
                    oncall=SqlOncallRepo(conn),
                    identity=SqlIdentityRepo(conn),
                    services=SqlCatalogRepo(conn),
                    now=now,
                    outbound=Settings().outbound.policy(),
                    severities=SqlSeverityTargetsRepo(conn),
                    environ=os.environ,
                )
                return changes + apply_status_page(conn, config.status_page, now)
            except ValidationFailed as exc:
                detail = exc.details[0] if exc.details else {}
                field = str(detail.get("field", ""))
                message = str(detail.get("message", exc.message))
                raise located(str(file), locate(tree, split_field(field)), field, message) from None

        changes, warnings = _admin(lambda conn, now: (run(conn, now), disabled_references(oncall=SqlOncallRepo(conn))))
    for change in changes:
        out.print(change, markup=False, highlight=False)
    out.print(f"{len(changes)} change(s) applied" if changes else "nothing to change", markup=False)
    for warning in warnings:
        out.print(warning, markup=False, highlight=False)


@oncall_app.command("now")
def oncall_now(
    schedule: Annotated[str | None, typer.Option(help="one schedule's name (default: every schedule)")] = None,
    at: Annotated[str | None, typer.Option(help="an ISO 8601 instant with its offset, instead of now")] = None,
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """Print who is on call, on one schedule or on every one, now or at --at."""
    from urllib.parse import quote

    with errors():
        params = {"at": at} if at else {}
        path = f"/api/v1/schedules/{quote(schedule, safe='')}/oncall" if schedule else "/api/v1/oncall"
        found = Api(url, token).request("GET", path, params=params)
    answers = [found] if schedule else found
    if as_json:
        print(json.dumps(found))
        return
    if not answers:
        out.print("no schedules yet (declare them in a file for firebell apply -f)", markup=False)
    for answer in answers:
        who = f"{answer['name']} ({answer['handle']})" if answer["user_id"] else "nobody (a gap in the schedule)"
        until = f" until {_cell(answer['until'])} UTC" if answer.get("until") else ""
        source = " by override" if answer.get("source") == "override" else ""
        out.print(f"{answer['schedule']}: {who}{source}{until}", markup=False, highlight=False)


@schedule_app.command("feed")
def schedule_feed(
    schedule: Annotated[str | None, typer.Option(help="a schedule's shifts")] = None,
    user: Annotated[str | None, typer.Option(help="one person's shifts on every schedule (handle or email)")] = None,
) -> None:
    """Create a secret iCal address to subscribe to in a calendar application (admin; on the database).

    The address is printed alone on the last line; it is shown once.
    """
    from firebell.identity.repo import SqlIdentityRepo
    from firebell.oncall.repo import SqlOncallRepo
    from firebell.oncall.service import create_feed

    token = _admin(
        lambda conn, now: create_feed(
            oncall=SqlOncallRepo(conn), identity=SqlIdentityRepo(conn), schedule=schedule, user=user, now=now
        )
    )
    out.print("calendar feed created; subscribe to this address (it is shown only once):")
    print(f"{server_url()}/api/v1/calendar/{token}.ics")


@schedule_app.command("override")
def schedule_override(
    name: str,
    user: Annotated[str, typer.Option(help="handle or email of who covers")],
    start: Annotated[str, typer.Option("--from", help="ISO 8601 instant with its offset")],
    end: Annotated[str, typer.Option("--to", help="ISO 8601 instant with its offset")],
    replaces: Annotated[str | None, typer.Option(help="handle or email of whose time it is")] = None,
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
) -> None:
    """Someone covers a schedule for a while (a vacation swap); it wins over every layer."""
    from urllib.parse import quote

    with errors():
        body = {"user": user, "start": start, "end": end, "replaces": replaces}
        created = Api(url, token).request("POST", f"/api/v1/schedules/{quote(name, safe='')}/overrides", json=body)
    out.print(f"{user} covers {name} from {start} to {end}", markup=False, highlight=False)
    print(created["id"])


@schedule_app.command("show")
def schedule_show(
    name: str,
    start: Annotated[str | None, typer.Option("--from", help="ISO 8601 instant with offset; default now")] = None,
    end: Annotated[str | None, typer.Option("--to", help="ISO 8601 instant with offset; default 14 days on")] = None,
    url: UrlOpt = "http://127.0.0.1:8080",
    token: TokenOpt = "",
    as_json: JsonOpt = False,
) -> None:
    """A schedule's final shifts (overrides applied), its gaps and the playbook's warnings."""
    from urllib.parse import quote

    with errors():
        params = {k: v for k, v in {"from": start, "to": end}.items() if v}
        view = Api(url, token).request("GET", f"/api/v1/schedules/{quote(name, safe='')}/shifts", params=params)
    if as_json:
        print(json.dumps(view))
        return
    rows = [
        {**s, "who": f"{s['name']} ({s['handle']})" if s["user_id"] else "— nobody (gap) —"} for s in view["shifts"]
    ]
    _emit(rows, False, [("start", "From (UTC)"), ("end", "To (UTC)"), ("who", "On call"), ("source", "By")], name)
    for warning in view["warnings"]:
        err.print(f"warning: {warning}", markup=False, highlight=False)


def run() -> None:
    app()


# Command groups kept in modules of their own register themselves on `app` when imported.
from firebell.cli import access as _access  # noqa: E402, F401
from firebell.cli import accounts as _accounts  # noqa: E402, F401
from firebell.cli import alerts as _alerts  # noqa: E402, F401
from firebell.cli import catalog as _catalog  # noqa: E402, F401
from firebell.cli import classify as _classify  # noqa: E402, F401
from firebell.cli import drills as _drills  # noqa: E402, F401
from firebell.cli import export as _export  # noqa: E402, F401
from firebell.cli import heartbeats as _heartbeats  # noqa: E402, F401
from firebell.cli import history as _history  # noqa: E402, F401
from firebell.cli import incidents as _incidents  # noqa: E402, F401
from firebell.cli import learning as _learning  # noqa: E402, F401
from firebell.cli import metrics as _metrics  # noqa: E402, F401
from firebell.cli import migrate as _migrate  # noqa: E402, F401
from firebell.cli import migrate_verify as _migrate_verify  # noqa: E402, F401
from firebell.cli import paging as _paging  # noqa: E402, F401
from firebell.cli import playbooks as _playbooks  # noqa: E402, F401
from firebell.cli import response as _response  # noqa: E402, F401
from firebell.cli import runbooks as _runbooks  # noqa: E402, F401
from firebell.cli import services as _services  # noqa: E402, F401
from firebell.cli import severity as _severity  # noqa: E402, F401
from firebell.cli import statuspage as _statuspage  # noqa: E402, F401
from firebell.cli import verdicts as _verdicts  # noqa: E402, F401
