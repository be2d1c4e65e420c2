"""Users, team roles and API tokens as the API reads and writes them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from firebell.identity.model import Role


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MembershipRead(BaseModel):
    team: str
    role: Role


class MeRead(BaseModel):
    name: str
    user_id: str | None
    role: Role = Field(description="the role on what belongs to no team")
    scopes: list[str]
    teams: list[MembershipRead]


class UserRead(BaseModel):
    id: str
    email: str
    handle: str | None
    display_name: str
    role: Role
    sso: bool = Field(description="logs in through single sign-on")
    teams: list[MembershipRead]


class UserCreate(_Strict):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=8, max_length=1000)
    role: Role = Role.RESPONDER
    name: str = Field(default="", max_length=200)


class UserUpdate(_Strict):
    role: Role


class TeamMemberRead(BaseModel):
    handle: str | None
    email: str
    display_name: str
    role: Role


class TeamRead(BaseModel):
    name: str
    members: list[TeamMemberRead]


class MemberRole(_Strict):
    role: Role


class TokenRead(BaseModel):
    id: str
    name: str
    scopes: str
    user_email: str | None
    created_at: datetime
    revoked_at: datetime | None


class TokenCreate(_Strict):
    name: str = Field(min_length=1, max_length=200)
    scope: str = Field(default="read", max_length=100, description="read, respond or admin")


class TokenCreated(BaseModel):
    name: str
    scope: str
    token: str = Field(description="the secret, shown only now")
