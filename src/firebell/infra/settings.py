"""Configuration, read from FIREBELL_* environment variables (nested sections use `__`).

Every field carries its description: `firebell config reference` prints them as the configuration
reference (docs/configuration.md), so what is documented is what is read.
"""

from __future__ import annotations

import ipaddress
import os
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from firebell.kernel.netpolicy import OutboundPolicy


class IngestSettings(BaseModel):
    """Alert intake."""

    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="Larger request bodies get 413, on every endpoint (intake, the API, forms) but the imports.",
    )
    max_import_bytes: int = Field(
        default=256 * 1_048_576,
        ge=1024,
        description="The largest history export `firebell import` and /import take; their callers are "
        "authenticated before any of it is read.",
    )
    max_batch: int = Field(
        default=512, ge=1, le=10_000, description="At most this many requests share one intake transaction."
    )
    key_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long a process remembers a known integration key. A rotated or disabled key stops at "
        "once regardless: each write checks it again.",
    )
    unknown_key_cache_seconds: float = Field(
        default=1.0, ge=0, description="How long an unknown key is remembered, so a sender retrying it costs little."
    )
    config_cache_seconds: float = Field(
        default=2.0, ge=0, description="How long a service's intake settings (grouping, severity map) are cached."
    )


class LimitSettings(BaseModel):
    """Rate limits. Each Firebell process keeps its own: with N nodes a sender may get N times as much."""

    intake_per_second: float = Field(
        default=50.0,
        ge=0,
        description="Requests a second per integration key on the intake endpoints (0: no limit). Over it "
        "(and the burst), intake answers 429 with Retry-After, as PagerDuty's Events API does.",
    )
    intake_burst: int = Field(default=1000, ge=1, description="Requests per key allowed at once above the rate.")
    api_per_second: float = Field(
        default=20.0, ge=0, description="Requests a second per API token on /api/v1 (0: no limit); over it, 429."
    )
    api_burst: int = Field(default=200, ge=1, description="Requests per token allowed at once above the rate.")


class LoginSettings(BaseModel):
    """Password logins. Checking a password costs about a second of CPU and 64 MiB (Argon2id), so the
    checks run on a few threads of their own, niced below the rest of the process, and a login that
    finds them all busy is answered 503 with Retry-After at once rather than queued."""

    hashing_slots: int = Field(
        default=0, ge=0, le=64, description="Password checks at once per process (0: one per CPU beyond the first)."
    )
    per_address_per_minute: float = Field(
        default=30.0, ge=0, description="Login attempts a minute from one address, whatever the email (0: no limit)."
    )
    address_burst: int = Field(default=10, ge=1, description="Attempts from one address at once above the rate.")
    email_free_failures: int = Field(
        default=5, ge=0, description="Failed logins to one email before each further one doubles the wait."
    )
    email_max_delay_seconds: float = Field(
        default=60.0,
        ge=0,
        description="The longest wait between tries on one email (0: none). A browser that logged in as that "
        "email before is not made to wait, so no one can keep its owner out.",
    )


class PoolSettings(BaseModel):
    """Database connections. Each process keeps three pools, so that one kind of work filling its own
    cannot hold up the others: web requests (pages and the API), alert intake, and the background
    engine (escalations, deliveries, timers). On PostgreSQL each pool's sessions get their own
    statement and lock timeouts; a database that stops answering is given up on client-side a little
    after the statement timeout, so requests answer 503 rather than hang."""

    connect_timeout_seconds: float = Field(
        default=3.0, ge=2, description="Give up opening a database connection after this long (then 503)."
    )
    web_concurrency: int = Field(
        default=0,
        ge=0,
        le=200,
        description="Web reads (pages and the API) at work at once, and as many writes besides; the rest "
        "wait their turn up to `web_queue_seconds`, then get 503 with Retry-After. 0: one fewer than the "
        "machine has CPUs, at least 1 (pages are mostly Python, which runs on one CPU at a time per "
        "process: more at once only take time from intake and paging).",
    )
    web_size: int = Field(default=8, ge=1, le=200, description="Connections kept for web requests.")
    web_overflow: int = Field(default=8, ge=0, le=200, description="More web connections opened under load.")
    web_queue_seconds: float = Field(
        default=0.5,
        gt=0,
        le=30,
        description="A web request waits this long for its turn, then answers 503 with Retry-After at once "
        "(readers filling their share never hold up intake or paging, and never wait long to hear so).",
    )
    web_snapshot_seconds: float = Field(
        default=1.0,
        ge=0,
        le=10,
        description="One incident's page data and API answer are built once and shared by its readers until "
        "it changes, for up to this long (what other nodes change shows within it). 0: never shared.",
    )
    web_wait_seconds: float = Field(
        default=2.0,
        gt=0,
        description="A web request at work waits this long for a free connection, then answers 503 with Retry-After.",
    )
    web_statement_timeout_seconds: float = Field(
        default=5.0, gt=0, description="The longest statement a web request may run (then 503)."
    )
    web_lock_timeout_seconds: float = Field(
        default=3.0, gt=0, description="The longest a web request waits for a lock (then 503)."
    )
    intake_size: int = Field(
        default=2, ge=1, le=50, description="Connections for intake's key lookups (its writer keeps one more)."
    )
    intake_statement_timeout_seconds: float = Field(
        default=30.0, gt=0, description="The longest statement intake may run (a key lookup, a statement of a batch)."
    )
    engine_size: int = Field(default=4, ge=1, le=200, description="Connections kept for the background engine.")
    engine_overflow: int = Field(
        default=12, ge=0, le=200, description="More background connections opened while notifications are sent."
    )
    engine_statement_timeout_seconds: float = Field(
        default=30.0, gt=0, description="The longest statement the background engine may run."
    )
    lock_timeout_seconds: float = Field(
        default=15.0, gt=0, description="The longest intake or the background engine waits for a lock."
    )

    def web_turns(self) -> int:
        """How many web requests may be at work at once (`web_concurrency`, or the CPUs but one)."""
        return self.web_concurrency or max(1, (os.cpu_count() or 2) - 1)


class OutboundSettings(BaseModel):
    """Where the webhooks people type in (contact methods, Slack and apprise addresses) may go."""

    allow: str = Field(
        default="",
        description="Networks or addresses that may be called although internal, comma-separated "
        "(e.g. `10.20.0.0/16` for an internal chat server). Every other internal address (loopback, "
        "private, link-local where cloud metadata answers) is refused.",
    )
    block_internal: bool = Field(default=True, description="Off: webhooks may call any address (not advised).")

    @field_validator("allow")
    @classmethod
    def _networks(cls, value: str) -> str:
        OutboundPolicy.parse(value)
        return value

    def policy(self) -> OutboundPolicy:
        return OutboundPolicy.parse(self.allow, block_internal=self.block_internal)


class OidcSettings(BaseModel):
    """Single sign-on through an OpenID Connect provider (Okta, Microsoft Entra ID, Google, Keycloak,
    Dex, Authentik...). Register Firebell with the provider as a confidential web client whose
    redirect URI is `<public URL>/login/sso/callback`."""

    issuer: str = Field(default="", description="The provider's issuer URL; empty: single sign-on is off.")
    client_id: str = Field(default="", description="Firebell's client id at the provider.")
    client_secret: SecretStr = Field(default=SecretStr(""), description="Firebell's client secret at the provider.")
    scopes: str = Field(default="openid email profile", description="What Firebell asks the provider for.")
    create_users: bool = Field(
        default=True,
        description="Someone logging in for the first time becomes a user; off: only people already added "
        "(matched by email) may log in this way.",
    )
    default_role: Literal["viewer", "responder"] = Field(
        default="viewer", description="The own role (outside any team) of people created at their first login."
    )
    allowed_domains: str = Field(default="", description="Comma-separated email domains allowed to log in; empty: any.")
    button_label: str = Field(default="Log in with single sign-on", description="The login page's button.")

    @property
    def enabled(self) -> bool:
        return bool(self.issuer and self.client_id)

    @property
    def domains(self) -> list[str]:
        return [d.strip().lower().lstrip("@") for d in self.allowed_domains.split(",") if d.strip()]


class RetentionSettings(BaseModel):
    """How long raw data is kept."""

    raw_payload_days: int = Field(
        default=30, ge=1, description="Raw payloads no alert points at are pruned after this many days."
    )
    sweep_interval_seconds: int = Field(default=3600, ge=10, description="How often the pruning runs.")


class TlsSettings(BaseModel):
    """Serving HTTPS directly, without a proxy in front: a certificate and its key (PEM files)."""

    cert_file: str = Field(
        default="", description="The server's certificate chain, PEM; with key_file, the server speaks HTTPS."
    )
    key_file: str = Field(default="", description="Its private key, PEM (unencrypted).")

    @model_validator(mode="after")
    def _both_or_neither(self) -> TlsSettings:
        if bool(self.cert_file) != bool(self.key_file):
            raise ValueError("FIREBELL_TLS__CERT_FILE and FIREBELL_TLS__KEY_FILE are set together or not at all")
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.cert_file)


class SmtpSettings(BaseModel):
    """The SMTP server email pages and communications go through."""

    host: str = Field(default="localhost", description="SMTP server host.")
    port: int = Field(default=25, ge=1, le=65535, description="SMTP server port.")
    sender: str = Field(default="firebell@localhost", description="The From address.")
    username: str = Field(default="", description="Log in as this user when set.")
    password: SecretStr = Field(default=SecretStr(""), description="Its password.")
    starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS.")
    tls: bool = Field(default=False, description="Implicit TLS (usually port 465).")
    timeout_seconds: float = Field(default=10.0, gt=0, description="Give up on the server after this long.")


class SlackSettings(BaseModel):
    """Slack: the buttons in pages, the bot for war rooms, and where incident updates go."""

    signing_secret: SecretStr = Field(
        default=SecretStr(""),
        description="From the Slack app's Basic Information page; without it the Acknowledge and Resolve "
        "buttons are refused.",
    )
    bot_token: SecretStr = Field(
        default=SecretStr(""),
        description="A bot token (xoxb-...): Firebell opens war-room channels, invites responders and posts updates.",
    )
    api_url: str = Field(default="https://slack.com/api/", description="Slack's Web API.")
    incidents_channel: str = Field(default="#incidents", description="The channel incident communications go to.")
    incidents_webhook_url: SecretStr = Field(
        default=SecretStr(""), description="Or an incoming webhook they go to (also subject to the outbound rules)."
    )


class MetricsSettings(BaseModel):
    """Firebell's own Prometheus endpoint, /metrics."""

    token: SecretStr = Field(
        default=SecretStr(""),
        description="When set, /metrics answers only `Authorization: Bearer <token>` (Prometheus' "
        "`authorization.credentials`); without it, or with another, 401. Empty: open to whoever reaches it.",
    )
    name_people: bool = Field(
        default=False,
        description="Label per-person series (after-hours pages) with the person's handle or name; by default "
        "their user id, so a scrape names no one.",
    )


class WebhookSettings(BaseModel):
    """Outbound webhooks."""

    signing_secret: SecretStr = Field(
        default=SecretStr("dev-only-webhook-secret"),
        description="Receivers check X-Firebell-Signature with it; `prod` refuses the default.",
    )
    timeout_seconds: float = Field(default=10.0, gt=0, description="Give up on a receiver after this long.")


class CommsSettings(BaseModel):
    """Incident communications."""

    stakeholder_emails: str = Field(
        default="", description="Comma-separated addresses incident communications by email go to."
    )

    @property
    def emails(self) -> list[str]:
        return [a.strip() for a in self.stakeholder_emails.split(",") if a.strip()]


class TemplateSettings(BaseModel):
    """Rendering the communication templates operators edit (each render runs in a worker process)."""

    max_output_chars: int = Field(
        default=65_536, ge=1024, le=10_000_000, description="A template that writes more is refused (422)."
    )
    render_seconds: float = Field(
        default=2.0, gt=0, le=60, description="A render taking longer is stopped and refused (422)."
    )
    memory_mb: int = Field(
        default=256,
        ge=16,
        le=16_384,
        description="The memory a render may use; its worker is replaced when it runs out.",
    )
    workers: int = Field(
        default=2, ge=1, le=32, description="Worker processes rendering templates (started on first use, kept)."
    )


class NotifySettings(BaseModel):
    """Sending pages and messages."""

    attempts: int = Field(default=5, ge=1, le=50, description="Tries per notification before it is marked failed.")
    backoff_base_seconds: float = Field(
        default=5.0, gt=0, description="The first retry's wait; each doubles, with ±20 % jitter."
    )
    backoff_cap_seconds: float = Field(default=300.0, gt=0, description="The longest wait between tries.")
    lease_seconds: float = Field(
        default=8.0,
        ge=2,
        le=600,
        description="How long a claimed notification is held; renewed every quarter of it while the send goes on, "
        "so a node that dies mid-send hands it on to another within this.",
    )
    workers: int = Field(
        default=32,
        ge=1,
        le=256,
        description="Notifications of one channel kind (email, webhook, Slack...) a process sends at once; "
        "each kind has its own senders, so a dead SMTP relay cannot hold up a webhook page.",
    )
    destination_workers: int = Field(
        default=16,
        ge=1,
        le=256,
        description="Notifications a process sends at once to one destination: one webhook host, one Slack "
        "webhook host, the SMTP relay, Slack's API, the SMS gateway.",
    )
    ack_wait_seconds: float = Field(
        default=3.0,
        ge=0,
        le=60,
        description="An acknowledgement answers after the pages of its incident already being sent have "
        "finished, waiting at most this long (so no page arrives after the answer).",
    )
    ack_link_hours: float = Field(default=24.0, gt=0, description="The lifetime of the acknowledge link in a page.")
    sms_url: str = Field(
        default="",
        description="An apprise URL for `sms` contact methods, `{number}` replaced by the number, "
        "e.g. `twilio://SID:TOKEN@+15550000000/{number}`.",
    )


class HttpSettings(BaseModel):
    """Connections to the server. Each connection holds a file descriptor: the cap keeps them below
    the process's limit (RLIMIT_NOFILE, raised at start to its hard limit; 256 are kept for the
    database, logs and files), so that slow or idle clients cannot leave none for the database,
    intake and health checks."""

    header_timeout_seconds: float = Field(
        default=10.0, gt=0, le=300, description="A request's headers must all arrive within this long (else 408)."
    )
    keep_alive_seconds: float = Field(
        default=5.0, gt=0, le=300, description="An idle keep-alive connection is closed after this long."
    )
    max_connections: int = Field(
        default=0, ge=0, description="Open connections per process, more get 503 at once (0: the fd limit less 256)."
    )


class StatusPageSettings(BaseModel):
    """The public status page at /status and its Statuspage-compatible JSON under /api/v2."""

    name: str = Field(default="Firebell status", min_length=1, max_length=200, description="The page's title.")
    url: str = Field(default="", description="Where the public reaches it; default: the base URL + /status.")
    page_id: str = Field(default="firebell", min_length=1, max_length=64, description="The id in its JSON.")


class LearningSettings(BaseModel):
    """Postmortems and action items."""

    action_items_webhook_url: str = Field(
        default="",
        description="An issue tracker's inbound webhook: every action item created or changed is posted "
        "there, signed, so the tracker can mirror it.",
    )
    remind_every_hours: float = Field(
        default=24.0, gt=0, description="The owner of an overdue postmortem is reminded again after this."
    )


class RunbookSettings(BaseModel):
    """Runbooks."""

    stale_after_days: int = Field(
        default=90,
        ge=1,
        le=3650,
        description="A runbook not reviewed within this many days is stale (the template asks for quarterly).",
    )


class DemoSettings(BaseModel):
    """The demo (`serve --demo`) and its built-in inbox: an SMTP server inside the server process that
    keeps the email pages it receives, shown at /demo/inbox."""

    inbox: bool = Field(default=False, description="Run the built-in inbox (`serve --demo` turns it on).")
    inbox_port: int = Field(
        default=0, ge=0, le=65535, description="The inbox's SMTP port on 127.0.0.1 (0: a free port at start)."
    )
    inbox_max_messages: int = Field(
        default=200, ge=1, le=10_000, description="Messages the inbox keeps; the oldest go first."
    )
    inbox_max_bytes: int = Field(
        default=262_144, ge=1024, le=10_485_760, description="The largest message it takes (bigger are refused)."
    )


DEV_SECRET_KEY = "dev-only-secret-change-me"  # noqa: S105 (a marker: replaced by the installation's own key)
MIN_SECRET_LENGTH = 32


class Settings(BaseSettings):
    """Firebell's settings."""

    model_config = SettingsConfigDict(env_prefix="FIREBELL_", env_nested_delimiter="__", env_file=None, extra="ignore")

    env: Literal["dev", "prod"] = Field(
        default="dev", description="`prod` refuses the default secrets and sets secure cookies."
    )
    database_url: str = Field(
        default="sqlite:///./firebell.db",
        description="Where everything is stored: SQLite for one node, or "
        "`postgresql+psycopg://user:pass@host:5432/db` (for several).",
    )
    sqlite_synchronous: Literal["FULL", "NORMAL"] = Field(
        default="FULL",
        description="FULL survives power loss (an fsync per group commit); NORMAL only a process crash.",
    )
    demo_history_weeks: int = Field(
        default=12, ge=0, le=104, description="`serve --demo` writes this many weeks of made-up past (0: none)."
    )
    host: str = Field(default="127.0.0.1", description="The address to listen on.")
    port: int = Field(default=8080, ge=1, le=65535, description="The port to listen on.")
    workers: int = Field(default=1, ge=1, le=64, description="Worker processes (`serve --workers N`).")
    public_url: str = Field(
        default="",
        description="How people and senders reach this server (in links and URLs); default http://HOST:PORT "
        "(https with TLS set).",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed: addresses or "
        "CIDRs, comma-separated (empty: none; the peer's address is the client's).",
    )
    secret_key: SecretStr = Field(
        default=SecretStr(DEV_SECRET_KEY),
        description="Signs acknowledge links and single sign-on state: the same on every node, at least "
        f"{MIN_SECRET_LENGTH} characters. `prod` requires it; `dev` without it makes one up per installation "
        "and keeps it beside the SQLite database (`firebell.db.secret`).",
    )
    session_hours: int = Field(default=12, ge=1, description="How long a browser session lasts.")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR.")
    log_json: bool = Field(default=False, description="Log one JSON object per line.")
    tls: TlsSettings = TlsSettings()
    ingest: IngestSettings = IngestSettings()
    http: HttpSettings = HttpSettings()
    pools: PoolSettings = PoolSettings()
    limits: LimitSettings = LimitSettings()
    login: LoginSettings = LoginSettings()
    oidc: OidcSettings = OidcSettings()
    outbound: OutboundSettings = OutboundSettings()
    retention: RetentionSettings = RetentionSettings()
    smtp: SmtpSettings = SmtpSettings()
    slack: SlackSettings = SlackSettings()
    webhook: WebhookSettings = WebhookSettings()
    metrics: MetricsSettings = MetricsSettings()
    notify: NotifySettings = NotifySettings()
    comms: CommsSettings = CommsSettings()
    templates: TemplateSettings = TemplateSettings()
    status_page: StatusPageSettings = StatusPageSettings()
    learning: LearningSettings = LearningSettings()
    runbooks: RunbookSettings = RunbookSettings()
    demo: DemoSettings = DemoSettings()

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _proxies(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            for each in value:
                try:
                    ipaddress.ip_network(str(each), strict=False)
                except ValueError:
                    raise ValueError(f"{each!r} is not an address or CIDR") from None
        return value

    @model_validator(mode="after")
    def _refuse_default_secret_in_prod(self) -> Settings:
        key = self.secret_key.get_secret_value()
        if self.env == "prod" and (key.startswith("dev-only") or len(key) < MIN_SECRET_LENGTH):
            raise ValueError(
                f"FIREBELL_SECRET_KEY must be set to a secret of at least {MIN_SECRET_LENGTH} characters "
                "when FIREBELL_ENV=prod (such as the output of `openssl rand -hex 32`)"
            )
        if self.env == "prod" and self.webhook.signing_secret.get_secret_value().startswith("dev-only"):
            raise ValueError("FIREBELL_WEBHOOK__SIGNING_SECRET must be set when FIREBELL_ENV=prod")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def base_url(self) -> str:
        scheme = "https" if self.tls.enabled else "http"
        return (self.public_url or f"{scheme}://{self.host}:{self.port}").rstrip("/")
