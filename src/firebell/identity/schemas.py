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
    disabled_at: datetime | None = Field(default=None, description="set while they may not log in nor be paged")
    deleted_at: datetime | None = None
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
    expires_at: datetime | None = Field(default=None, description="refused from then on (None: never)")


class TokenCreate(_Strict):
    name: str = Field(
        min_length=1, max_length=100, description="letters, digits and . _ @ + - (no spaces); shown with your email"
    )
    scope: str = Field(default="read", max_length=100, description="read, respond or admin")
    expires_at: datetime | None = Field(default=None, description="when it stops working, with its offset")
    expires_in: str | None = Field(default=None, max_length=20, description="or how long it works: 30d, 12h")


class TokenCreated(BaseModel):
    name: str
    scope: str
    expires_at: datetime | None = None
    token: str = Field(description="the secret, shown only now")


class UserDisable(_Strict):
    force: bool = Field(default=False, description="disable even when they are on call or an escalation target")


class ShiftRead(BaseModel):
    schedule: str
    start: datetime
    end: datetime


class ImpactRead(BaseModel):
    email: str
    schedules: list[str]
    policies: list[str]
    shifts: list[ShiftRead] = Field(description="their shifts in the next 14 days")


class UserDisabled(BaseModel):
    user: UserRead
    impact: ImpactRead


class PasswordChange(_Strict):
    current_password: str = Field(max_length=1000)
    new_password: str = Field(min_length=8, max_length=1000)


class ResetLinkRead(BaseModel):
    url: str = Field(description="one-time: opening it lets the person set a new password")
    expires_at: datetime
