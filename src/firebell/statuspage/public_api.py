"""The public status page's machine-readable side, without login: Statuspage's v2 JSON API (so
existing consumers read it unchanged, from any origin: Statuspage's own widget runs on other sites)
and Atom and RSS feeds with one entry per published update, at Statuspage's `history.atom` and
`history.rss` addresses."""

from __future__ import annotations

import re
from email.utils import format_datetime
from typing import Any
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from firebell.bootstrap import Container
from firebell.statuspage.public import PageInfo, PublicView, stamp
from firebell.statuspage.repo import MAINTENANCE, SqlStatusPageRepo
from firebell.web.deps import ContainerDep, ReadConn


def _any_origin(response: Response) -> None:
    """Public data only: any site may read it from a browser (no credentials are ever involved)."""
    response.headers["access-control-allow-origin"] = "*"


router = APIRouter(prefix="/api/v2", tags=["status page (public)"], dependencies=[Depends(_any_origin)])
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


# Characters XML 1.0 cannot carry at all (control characters but tab and newlines, lone surrogates,
# U+FFFE and U+FFFF): one of them in an update must not break the whole feed.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _text(value: object) -> str:
    return _NOT_XML.sub("", str(value))


def _updates(conn: Any) -> list[dict[str, Any]]:
    return SqlStatusPageRepo(conn).recent_updates(50)


def _entry_facts(page: PageInfo, update: dict[str, Any]) -> tuple[str, str, str, str]:
    """(id, title, link, kind) of one published update."""
    link = f"{page.url}/incidents/{update['status_incident_id']}"
    state = str(update["status"]).replace("_", " ")
    kind = "Maintenance" if update["kind"] == MAINTENANCE else "Incident"
    return f"{link}#update-{update['id']}", _text(f"{update['incident_name']}: {state}"), link, kind


@feed_router.get("/status/history.atom", summary="Atom feed: one entry per published update")
@feed_router.get("/status/feed.atom", summary="Atom feed (the same as history.atom)", include_in_schema=False)
def feed(conn: ReadConn, container: ContainerDep) -> Response:
    page = page_info(container)
    updates = _updates(conn)
    root = ET.Element("feed", xmlns=ATOM)
    ET.SubElement(root, "id").text = f"{page.url}/history.atom"
    ET.SubElement(root, "title").text = _text(page.name)
    newest = updates[0]["created_at"] if updates else container.clock.now()
    ET.SubElement(root, "updated").text = stamp(newest)
    ET.SubElement(root, "link", href=page.url, rel="alternate", type="text/html")
    ET.SubElement(root, "link", href=f"{page.url}/history.atom", rel="self", type="application/atom+xml")
    ET.SubElement(ET.SubElement(root, "author"), "name").text = _text(page.name)
    for update in updates:
        entry_id, title, link, kind = _entry_facts(page, update)
        entry = ET.SubElement(root, "entry")
        ET.SubElement(entry, "id").text = entry_id
        ET.SubElement(entry, "title").text = title
        ET.SubElement(entry, "updated").text = stamp(update["created_at"])
        ET.SubElement(entry, "published").text = stamp(update["created_at"])
        ET.SubElement(entry, "category", term=kind.lower(), label=kind)
        ET.SubElement(entry, "link", href=link, rel="alternate", type="text/html")
        ET.SubElement(entry, "content", type="text").text = _text(update["body"])
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@feed_router.get("/status/history.rss", summary="RSS 2.0 feed: one item per published update")
def rss(conn: ReadConn, container: ContainerDep) -> Response:
    page = page_info(container)
    updates = _updates(conn)
    root = ET.Element("rss", version="2.0")
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = _text(page.name)
    ET.SubElement(channel, "link").text = page.url
    ET.SubElement(channel, "description").text = _text(f"{page.name}: incidents and maintenances")
    newest = updates[0]["created_at"] if updates else container.clock.now()
    ET.SubElement(channel, "lastBuildDate").text = format_datetime(newest)
    for update in updates:
        entry_id, title, link, kind = _entry_facts(page, update)
        item = ET.SubElement(channel, "item")
        ET.SubElement(item, "title").text = title
        ET.SubElement(item, "link").text = link
        ET.SubElement(item, "guid", isPermaLink="false").text = entry_id
        ET.SubElement(item, "pubDate").text = format_datetime(update["created_at"])
        ET.SubElement(item, "category").text = kind
        ET.SubElement(item, "description").text = _text(update["body"])
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, media_type="application/rss+xml; charset=utf-8")
