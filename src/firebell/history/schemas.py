"""The import API's answer."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ImportCounts(BaseModel):
    imported: int = Field(description="written now")
    skipped: int = Field(description="imported before (same source and id): left as they are")


class ImportRead(BaseModel):
    format: str
    dry_run: bool = Field(description="true: checked and counted, nothing written")
    incidents: ImportCounts
    alerts: ImportCounts
    services_created: list[str]
    incident_numbers: list[int] = Field(description="the first and last number the imported incidents took")
    refused: int = Field(default=0, description="records refused; any refusal refuses the whole file (HTTP 422)")
