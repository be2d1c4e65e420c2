"""On-call pages: who is on call now on every schedule, and one schedule's next two weeks."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from firebell.oncall.repo import SqlOncallRepo
from firebell.oncall.service import on_call, schedule_names, schedule_view
from firebell.web.deps import ContainerDep, ReadConn
from firebell.web.pages import UserSession, render

router = APIRouter()


@router.get("/oncall", response_class=HTMLResponse)
def now_page(request: Request, conn: ReadConn, container: ContainerDep, session: UserSession) -> Response:
    repo = SqlOncallRepo(conn)
    now = container.clock.now()
    answers = [on_call(oncall=repo, schedule_name=name, at=now) for name in schedule_names(repo)]
    return render(request, "oncall.html", session, answers=answers)


@router.get("/oncall/{name}", response_class=HTMLResponse)
def schedule_page(
    request: Request, name: str, conn: ReadConn, container: ContainerDep, session: UserSession
) -> Response:
    start = container.clock.now()
    view = schedule_view(oncall=SqlOncallRepo(conn), schedule_name=name, start=start, end=start + timedelta(days=14))
    return render(request, "oncall_schedule.html", session, view=view)
