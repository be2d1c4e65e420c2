"""Account lifecycle commands on the configured database (admin): disable, enable and delete people,
change a password, issue a reset link, revoke a calendar feed."""

from __future__ import annotations

import getpass
from datetime import datetime
from typing import Annotated, Any, cast

import typer

from firebell.cli.main import _admin, errors, fail, out, schedule_app, server_url, user_app

YesOpt = Annotated[bool, typer.Option("--yes", help="go ahead though they are on call or an escalation target")]


def _show_impact(impact: dict[str, Any]) -> None:
    for schedule in impact["schedules"]:
        out.print(f"  schedule: {schedule}", markup=False)
    for policy in impact["policies"]:
        out.print(f"  escalation policy: {policy}", markup=False)
    for shift in impact["shifts"]:
        start, end = shift["start"], shift["end"]
        out.print(f"  shift on {shift['schedule']}: {start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} UTC", markup=False)


def _refused_with_impact(run: Any, yes_hint: str) -> Any:
    """Run; a refusal that carries an impact prints it, then the one-line refusal."""
    from firebell.kernel.errors import Conflict

    try:
        return _admin_raw(run)
    except Conflict as exc:
        found = [d["impact"] for d in exc.details if isinstance(d.get("impact"), dict)]
        if found:
            impact = cast(dict[str, Any], found[0])
            out.print(f"{impact['email']} is on call or paged here:", markup=False)
            _show_impact(impact)
        raise fail(f"{exc.message.split(';')[0]}; {yes_hint}") from None


def _admin_raw(run: Any) -> Any:
    """`_admin`, letting a conflict through so its details can be shown."""
    from firebell.cli.main import _container, operator
    from firebell.infra.db import transaction

    with operator():
        container = _container()
        with transaction(container.engine, write=True) as conn:
            return run(conn, container.clock.now())


@user_app.command("disable")
def user_disable(email: str, yes: YesOpt = False) -> None:
    """Disable a person: their sessions and tokens stop working at once and nobody pages them.

    When they are on call or an escalation target, what they are in is printed and nothing changes
    unless --yes is given.
    """
    from firebell.identity.repo import SqlIdentityRepo
    from firebell.oncall.departures import disable_person
    from firebell.oncall.repo import SqlOncallRepo

    def run(conn: Any, now: datetime) -> dict[str, Any]:
        _user, impact = disable_person(
            oncall=SqlOncallRepo(conn), identity=SqlIdentityRepo(conn), email=email, now=now, force=yes
        )
        return impact.as_dict()

    with errors():
        impact = _refused_with_impact(run, "nothing changed; run again with --yes to disable them anyway")
    out.print(f"disabled {email}: their sessions ended, their tokens are refused, they are not paged", markup=False)
    if impact["schedules"] or impact["policies"]:
        out.print("they are skipped where they would be paged:", markup=False)
        _show_impact(impact)


@user_app.command("enable")
def user_enable(email: str) -> None:
    """Enable a disabled person again: they can log in, their live tokens work, they are paged."""
    from firebell.identity.lifecycle import enable_user
    from firebell.identity.repo import SqlIdentityRepo

    _admin(lambda conn, _now: enable_user(repo=SqlIdentityRepo(conn), email=email))
    out.print(f"enabled {email}", markup=False)


@user_app.command("delete")
def user_delete(email: str, yes: Annotated[bool, typer.Option("--yes", help="no question asked")] = False) -> None:
    """Delete a person's access and personal data; history keeps their name.

    Refused while a schedule or escalation policy still names them (each is printed).
    """
    from firebell.identity.repo import SqlIdentityRepo
    from firebell.oncall.departures import delete_person
    from firebell.oncall.repo import SqlOncallRepo

    if not yes:
        raise fail(f"deleting {email} cannot be undone; run again with --yes")

    def run(conn: Any, now: datetime) -> None:
        delete_person(oncall=SqlOncallRepo(conn), identity=SqlIdentityRepo(conn), email=email, now=now)

    with errors():
        _refused_with_impact(run, "take them out of those schedules and policies first")
    out.print(f"deleted {email}: access and personal data removed; history keeps their name", markup=False)


@user_app.command("password")
def user_password(
    email: str,
    current: Annotated[str | None, typer.Option(envvar="FIREBELL_CURRENT_PASSWORD", help="else asked for")] = None,
    new: Annotated[str | None, typer.Option(envvar="FIREBELL_NEW_PASSWORD", help="else asked for")] = None,
) -> None:
    """Change your password, giving the current one; your browser sessions end."""
    from firebell.identity.lifecycle import change_password, live_user
    from firebell.identity.repo import SqlIdentityRepo

    current = current if current is not None else getpass.getpass("current password: ")
    new = new if new is not None else getpass.getpass("new password: ")

    def run(conn: Any, _now: datetime) -> None:
        repo = SqlIdentityRepo(conn)
        change_password(repo=repo, user_id=str(live_user(repo, email)["id"]), current=current, new=new)

    _admin(run)
    out.print(f"changed the password of {email}; their sessions ended", markup=False)


@user_app.command("reset-link")
def user_reset_link(email: str) -> None:
    """A one-time link (valid for an hour) for a person to set a new password; printed last."""
    from firebell.identity.lifecycle import issue_reset
    from firebell.identity.repo import SqlIdentityRepo

    def run(conn: Any, now: datetime) -> tuple[str, datetime]:
        return issue_reset(repo=SqlIdentityRepo(conn), email=email, by=f"cli:{_who()}", now=now)

    token, expires_at = _admin(run)
    out.print(f"reset link for {email}, usable once until {expires_at:%Y-%m-%d %H:%M} UTC:", markup=False)
    print(f"{server_url()}/reset/{token}")


def _who() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@schedule_app.command("feed-revoke")
def schedule_feed_revoke(
    address: Annotated[str, typer.Argument(help="the feed's address, or the secret at its end")],
) -> None:
    """Revoke a calendar feed address: it answers 404 from now on. Make a new one with `schedule feed`."""
    from firebell.oncall.feeds import revoke_feed
    from firebell.oncall.repo import SqlOncallRepo

    _admin(lambda conn, now: revoke_feed(oncall=SqlOncallRepo(conn), address=address, now=now))
    out.print("revoked the calendar feed; its address answers 404 from now on", markup=False)
