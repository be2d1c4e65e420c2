"""The public status page's machine-readable side, without login: Statuspage's v2 JSON API (so
existing consumers read it unchanged) and an Atom feed with one entry per published update."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree as ET

from fastapi import APIRouter
from fastapi.responses import Response

from firebell.bootstrap import Container
from firebell.statuspage.public import PageInfo, PublicView, stamp
from firebell.statuspage.repo import MAINTENANCE, SqlStatusPageRepo
from firebell.web.deps import ContainerDep, ReadConn

router = APIRouter(prefix="/api/v2", tags=["status page (public)"])
feed_router = APIRouter(tags=["status page (public)"])

ATOM = "http://www.w3.org/2005/Atom"


def page_info(container: Container) -> PageInfo:
    settings = container.settings
    url = (settings.status_page.url or f"{settings.base_url()}/status").rstrip("/")
    return PageInfo(id=settings.status_page.page_id, name=settings.status_page.name, url=url)


def view(conn: Any, container: Container) -> PublicView:
    return PublicView(conn, page_info(container), container.clock.now())


@router.get("/summary.json", summary="The page, components, unresolved incidents and maintenances, and status")
def summary(conn: ReadConn, container: ContainerDep) -> dict[str, Any]:
    return view(conn, container).summary_json()


@router.get("/status.json", summary="The page's overall indicator")
def status(conn: ReadConn, container: ContainerDep) -> dict[str, Any]:
    page = view(conn, container)
    return {"page": page.page_json(), "status": page.status_json()}


@router.get("/components.json", summary="Every component, groups included")
def components(conn: ReadConn, container: ContainerDep) -> dict[str, Any]:
    page = view(conn, container)
    return {"page": page.page_json(), "components": page.components_json()}


@router.get("/incidents.json", summary="The 50 latest incidents, resolved ones included")
def incidents(conn: ReadConn, container: ContainerDep) -> dict[str, Any]:
    page = view(conn, container)
    return {"page": page.page_json(), "incidents": [page.incident_json(i) for i in page.incidents()]}


@router.get("/incidents/unresolved.json", summary="Incidents not yet resolved")
def unresolved(conn: ReadConn, container: ContainerDep) -> dict[str, Any]:
    page = view(conn, container)
    return {"page": page.page_json(), "incidents": [page.incident_json(i) for i in page.incidents(unresolved=True)]}


def _maintenances(conn: Any, container: Container, which: str) -> dict[str, Any]:
    page = view(conn, container)
    shaped = [page.incident_json(m) for m in page.maintenances(which)]
    return {"page": page.page_json(), "scheduled_maintenances": shaped}


@router.get("/scheduled-maintenances.json", summary="The 50 latest scheduled maintenances")
def maintenances(conn: ReadConn, container: ContainerDep) -> dict[str, Any]:
    return _maintenances(conn, container, "all")


@router.get("/scheduled-maintenances/upcoming.json", summary="Maintenances not yet started")
def upcoming(conn: ReadConn, container: ContainerDep) -> dict[str, Any]:
    return _maintenances(conn, container, "upcoming")


@router.get("/scheduled-maintenances/active.json", summary="Maintenances in progress or being verified")
def active(conn: ReadConn, container: ContainerDep) -> dict[str, Any]:
    return _maintenances(conn, container, "active")


@feed_router.get("/status/feed.atom", summary="Atom feed: one entry per published update")
def feed(conn: ReadConn, container: ContainerDep) -> Response:
    page = page_info(container)
    updates = SqlStatusPageRepo(conn).recent_updates(50)
    root = ET.Element("feed", xmlns=ATOM)
    ET.SubElement(root, "id").text = f"{page.url}/feed.atom"
    ET.SubElement(root, "title").text = page.name
    newest = updates[0]["created_at"] if updates else container.clock.now()
    ET.SubElement(root, "updated").text = stamp(newest)
    ET.SubElement(root, "link", href=page.url, rel="alternate", type="text/html")
    ET.SubElement(root, "link", href=f"{page.url}/feed.atom", rel="self", type="application/atom+xml")
    ET.SubElement(ET.SubElement(root, "author"), "name").text = page.name
    for update in updates:
        entry = ET.SubElement(root, "entry")
        ET.SubElement(entry, "id").text = f"{page.url}/incidents/{update['status_incident_id']}#update-{update['id']}"
        state = str(update["status"]).replace("_", " ")
        kind = "Maintenance" if update["kind"] == MAINTENANCE else "Incident"
        ET.SubElement(entry, "title").text = f"{update['incident_name']}: {state}"
        ET.SubElement(entry, "updated").text = stamp(update["created_at"])
        ET.SubElement(entry, "published").text = stamp(update["created_at"])
        ET.SubElement(entry, "category", term=kind.lower(), label=kind)
        link = f"{page.url}/incidents/{update['status_incident_id']}"
        ET.SubElement(entry, "link", href=link, rel="alternate", type="text/html")
        ET.SubElement(entry, "content", type="text").text = update["body"]
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8")
