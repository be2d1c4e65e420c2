"""Configuration, read from FIREBELL_* environment variables (nested sections use `__`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from firebell.kernel.netpolicy import OutboundPolicy


class IngestSettings(BaseModel):
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_import_bytes: int = Field(default=256 * 1_048_576, ge=1024)  # a history export (firebell import)
    max_batch: int = Field(default=512, ge=1, le=10_000)
    key_cache_seconds: float = Field(default=5.0, ge=0)
    unknown_key_cache_seconds: float = Field(default=1.0, ge=0)
    config_cache_seconds: float = Field(default=2.0, ge=0)


class LimitSettings(BaseModel):
    """Rate limits, kept by each Firebell process (with N nodes, a sender may get N times as much)."""

    # Requests a second per integration key on the intake endpoints, and the burst allowed above it
    # (0: no limit). Over it, intake answers 429 with Retry-After, as PagerDuty's Events API does.
    intake_per_second: float = Field(default=50.0, ge=0)
    intake_burst: int = Field(default=1000, ge=1)
    # Requests a second per API token on /api/v1, and its burst (0: no limit).
    api_per_second: float = Field(default=20.0, ge=0)
    api_burst: int = Field(default=200, ge=1)


class OutboundSettings(BaseModel):
    """Where the webhooks people type in (contact methods, Slack and apprise addresses) may go."""

    # Networks or addresses that may be called although internal, comma-separated, such as
    # 10.20.0.0/16 for an internal chat server. Everything else internal (loopback, private,
    # link-local where cloud metadata answers) is refused, so an address typed into Firebell
    # cannot make it call services inside its own network.
    allow: str = ""
    block_internal: bool = True

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
    redirect URI is <public URL>/login/sso/callback."""

    issuer: str = ""  # the provider's issuer URL; empty: single sign-on is off
    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    scopes: str = "openid email profile"
    # Someone who logs in for the first time becomes a user with this role (their own role, outside
    # any team); with create_users off, only people already added (by email) may log in this way.
    create_users: bool = True
    default_role: Literal["viewer", "responder"] = "viewer"
    allowed_domains: str = ""  # comma-separated email domains allowed to log in; empty: any
    button_label: str = "Log in with single sign-on"

    @property
    def enabled(self) -> bool:
        return bool(self.issuer and self.client_id)

    @property
    def domains(self) -> list[str]:
        return [d.strip().lower().lstrip("@") for d in self.allowed_domains.split(",") if d.strip()]


class RetentionSettings(BaseModel):
    raw_payload_days: int = Field(default=30, ge=1)
    sweep_interval_seconds: int = Field(default=3600, ge=10)


class SmtpSettings(BaseModel):
    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    sender: str = "firebell@localhost"
    username: str = ""
    password: SecretStr = SecretStr("")
    starttls: bool = False
    tls: bool = False  # implicit TLS (usually port 465)
    timeout_seconds: float = Field(default=10.0, gt=0)


class SlackSettings(BaseModel):
    # From the Slack app's "Basic Information" page; without it the Acknowledge/Resolve buttons are refused.
    signing_secret: SecretStr = SecretStr("")
    # A bot token (xoxb-...) lets Firebell open war-room channels, invite responders and post updates.
    bot_token: SecretStr = SecretStr("")
    api_url: str = "https://slack.com/api/"
    # Where incident communications go: a channel the bot is in, and/or an incoming webhook.
    incidents_channel: str = "#incidents"
    incidents_webhook_url: SecretStr = SecretStr("")


class WebhookSettings(BaseModel):
    # Receivers check X-Firebell-Signature with this secret.
    signing_secret: SecretStr = SecretStr("dev-only-webhook-secret")
    timeout_seconds: float = Field(default=10.0, gt=0)


class CommsSettings(BaseModel):
    # Incident communications by email go to these addresses (comma-separated in the environment).
    stakeholder_emails: str = ""

    @property
    def emails(self) -> list[str]:
        return [a.strip() for a in self.stakeholder_emails.split(",") if a.strip()]


class NotifySettings(BaseModel):
    attempts: int = Field(default=5, ge=1, le=50)
    backoff_base_seconds: float = Field(default=5.0, gt=0)
    backoff_cap_seconds: float = Field(default=300.0, gt=0)
    lease_seconds: float = Field(default=60.0, ge=5)
    workers: int = Field(default=16, ge=1, le=256)
    ack_link_hours: float = Field(default=24.0, gt=0)
    sms_url: str = ""  # an apprise URL with {number}, e.g. twilio://SID:TOKEN@+15550000000/{number}


class StatusPageSettings(BaseModel):
    # The public page at /status and its Statuspage-compatible JSON under /api/v2.
    name: str = Field(default="Firebell status", min_length=1, max_length=200)
    url: str = ""  # where the public page is reached; default: the base URL + /status
    page_id: str = Field(default="firebell", min_length=1, max_length=64)


class LearningSettings(BaseModel):
    """Postmortems and action items."""

    # An issue tracker's inbound webhook: every action item created or changed is posted here
    # (signed like every outbound webhook), so the tracker can mirror it.
    action_items_webhook_url: str = ""
    remind_every_hours: float = Field(default=24.0, gt=0)  # an overdue postmortem's owner, again after this


class RunbookSettings(BaseModel):
    # A runbook not reviewed within this many days is stale (the runbook template asks for quarterly).
    stale_after_days: int = Field(default=90, ge=1, le=3650)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FIREBELL_", env_nested_delimiter="__", env_file=None, extra="ignore")

    env: Literal["dev", "prod"] = "dev"
    database_url: str = "sqlite:///./firebell.db"
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    # `firebell serve --demo` writes this many weeks of made-up past for the Metrics pages (0: none).
    demo_history_weeks: int = Field(default=12, ge=0, le=104)
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    public_url: str = ""
    secret_key: SecretStr = SecretStr("dev-only-secret-change-me")
    session_hours: int = Field(default=12, ge=1)
    log_level: str = "INFO"
    log_json: bool = False
    ingest: IngestSettings = IngestSettings()
    limits: LimitSettings = LimitSettings()
    oidc: OidcSettings = OidcSettings()
    outbound: OutboundSettings = OutboundSettings()
    retention: RetentionSettings = RetentionSettings()
    smtp: SmtpSettings = SmtpSettings()
    slack: SlackSettings = SlackSettings()
    webhook: WebhookSettings = WebhookSettings()
    notify: NotifySettings = NotifySettings()
    comms: CommsSettings = CommsSettings()
    status_page: StatusPageSettings = StatusPageSettings()
    learning: LearningSettings = LearningSettings()
    runbooks: RunbookSettings = RunbookSettings()

    @model_validator(mode="after")
    def _refuse_default_secret_in_prod(self) -> Settings:
        if self.env == "prod" and self.secret_key.get_secret_value().startswith("dev-only"):
            raise ValueError("FIREBELL_SECRET_KEY must be set when FIREBELL_ENV=prod")
        if self.env == "prod" and self.webhook.signing_secret.get_secret_value().startswith("dev-only"):
            raise ValueError("FIREBELL_WEBHOOK__SIGNING_SECRET must be set when FIREBELL_ENV=prod")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
