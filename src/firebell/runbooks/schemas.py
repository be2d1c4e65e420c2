"""API models of runbooks, their lint reports and the catalog's coverage."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from firebell.runbooks.service import MAX_BODY, MAX_TITLE

_BODY = Field(min_length=1, max_length=MAX_BODY, description="the runbook in markdown")
_SERVICE = Field(default=None, max_length=200, description="the catalog service it is for; one runbook each")
_TEAM = Field(
    default=None,
    max_length=200,
    description="for a runbook of no service, the team whose admins may change it (without one: site admins)",
)


class RunbookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: str = _BODY
    title: str | None = Field(default=None, max_length=MAX_TITLE, description="default: its first heading")
    service: str | None = _SERVICE
    team: str | None = _TEAM
    source_path: str = Field(default="", max_length=1000, description="where it was written, e.g. a repository path")
    last_reviewed_at: AwareDatetime | None = Field(default=None, description="default: the date the document states")
    reviewed_by: str | None = Field(default=None, max_length=200)


class RunbookImport(BaseModel):
    """A runbook from a file: replaces the service's runbook (or the one from the same path), else adds it."""

    model_config = ConfigDict(extra="forbid")

    body: str = _BODY
    source_path: str = Field(min_length=1, max_length=1000)
    service: str | None = _SERVICE
    team: str | None = _TEAM
    title: str | None = Field(default=None, max_length=MAX_TITLE)


class RunbookUpdate(BaseModel):
    """Only the fields sent change; `"service": null` detaches the runbook from its service, and
    `"team": null` from its team."""

    model_config = ConfigDict(extra="forbid")

    body: str | None = Field(default=None, min_length=1, max_length=MAX_BODY)
    title: str | None = Field(default=None, max_length=MAX_TITLE)
    service: str | None = _SERVICE
    team: str | None = _TEAM
    source_path: str | None = Field(default=None, max_length=1000)
    last_reviewed_at: AwareDatetime | None = None
    reviewed_by: str | None = Field(default=None, max_length=200)


class FindingRead(BaseModel):
    item: int = Field(description="the checklist item, 1-12; 0 for a template placeholder")
    name: str
    status: str = Field(description="pass, warn or fail")
    message: str
    line: int | None


class LintRead(BaseModel):
    passed: bool = Field(description="no checklist item fails")
    stale: bool = Field(description="never reviewed, or not within stale_after_days")
    reviewed_on: date | None
    stale_after_days: int
    failed_items: list[int]
    warnings: int
    findings: list[FindingRead]


class RunbookSummary(BaseModel):
    id: str
    title: str
    service: str | None
    team: str | None = Field(description="the team of a runbook of no service (a service's is its owner team's)")
    source_path: str
    last_reviewed_at: datetime | None
    reviewed_by: str
    updated_at: datetime
    updated_by: str
    passed: bool
    stale: bool
    failed_items: list[int]
    url: str


class RunbookRead(RunbookSummary):
    body: str
    created_at: datetime
    lint: LintRead


class RunbookImported(RunbookRead):
    created: bool


class ServiceCoverageRead(BaseModel):
    service: str
    state: str = Field(description="missing, stale, failing or passing")
    runbook_id: str | None
    reviewed_on: date | None
    failed_items: list[int]


class CoverageRead(BaseModel):
    total: int
    covered: int = Field(description="services with a runbook reviewed within stale_after_days")
    passing: int = Field(description="of those, runbooks that pass every checklist item")
    percent: float | None = Field(description="covered / total, in percent; null without services")
    stale_after_days: int
    services: list[ServiceCoverageRead]
    lacking: list[ServiceCoverageRead] = Field(description="services without a current runbook")
