"""What an alert's sender said beyond its summary, as responders read it: pure, no I/O.

Each source stores its extras in the alert's `details` (Alertmanager and Grafana annotations, values
and valueString; PagerDuty custom_details and images; Opsgenie description, details and note) and its
links in `links`. `digest` turns them into rows of (key, text), links and images, one shape for every
place a responder looks: the API, the pages, emails, Slack and webhooks. Each place caps what it
carries with `clip` and `fit`, which say so when they cut.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

MARKER = "… [truncated]"
# What a digest holds unless told otherwise (each page's delivery row keeps one per alert): each
# channel may cut further. The alert's own page and API show more (FULL_VALUE, FULL_FIELDS).
MAX_VALUE = 500
MAX_FIELDS = 20
FULL_VALUE = 10_000
FULL_FIELDS = 200
MAX_LINKS = 10
MAX_IMAGES = 5

# Containers whose entries are the alert's fields themselves, one row each.
_UNWRAP = ("annotations", "custom_details", "details")
# Kept elsewhere: images are shown as links of their own.
_SKIP = frozenset({"images"})


@dataclass(frozen=True, slots=True)
class Digest:
    """An alert's details as rows, its links and its images (each as href, text)."""

    alert_id: str
    summary: str
    severity: str
    status: str
    source: str
    fields: tuple[tuple[str, str], ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    images: tuple[tuple[str, str], ...] = ()
    more_fields: int = 0  # rows left out past MAX_FIELDS

    def to_doc(self) -> dict[str, Any]:
        return {
            "alert_id": self.alert_id,
            "summary": self.summary,
            "severity": self.severity,
            "status": self.status,
            "source": self.source,
            "fields": [list(f) for f in self.fields],
            "links": [list(link) for link in self.links],
            "images": [list(i) for i in self.images],
            "more_fields": self.more_fields,
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Digest:
        return cls(
            alert_id=str(doc.get("alert_id", "")),
            summary=str(doc.get("summary", "")),
            severity=str(doc.get("severity", "")),
            status=str(doc.get("status", "")),
            source=str(doc.get("source", "")),
            fields=tuple((str(k), str(v)) for k, v in doc.get("fields", ())),
            links=tuple((str(h), str(t)) for h, t in doc.get("links", ())),
            images=tuple((str(s), str(t)) for s, t in doc.get("images", ())),
            more_fields=int(doc.get("more_fields", 0)),
        )


def clip(text: str, limit: int) -> str:
    """`text` in at most `limit` characters; cut ones end with the marker."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(MARKER))] + MARKER


def as_text(value: object) -> str:
    """A detail's value as one text: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "), default=str)


def fields_of(details: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every row of an alert's details: entries of the known containers (annotations,
    custom_details, details) by their own names, other entries by theirs; nested objects of a
    container become one JSON text. A non-object container is one row under its name."""
    rows: list[tuple[str, str]] = []
    for key, value in details.items():
        if key in _SKIP:
            continue
        if key in _UNWRAP and isinstance(value, Mapping):
            rows.extend((str(k), as_text(v)) for k, v in value.items())
        elif key == "values" and isinstance(value, Mapping):
            rows.extend((f"values.{k}", as_text(v)) for k, v in value.items())
        elif value not in (None, "", {}, []):
            rows.append((str(key), as_text(value)))
    return rows


def images_of(details: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The images a sender attached (PagerDuty `images`), as (src, text)."""
    found = details.get("images")
    out: list[tuple[str, str]] = []
    if isinstance(found, Sequence) and not isinstance(found, str):
        for image in found:
            if isinstance(image, Mapping) and isinstance(image.get("src"), str):
                out.append((image["src"], str(image.get("alt") or image.get("href") or "")))
    return out


def links_of(links: object) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(links, Sequence) and not isinstance(links, str):
        for link in links:
            if isinstance(link, Mapping) and isinstance(link.get("href"), str):
                out.append((link["href"], str(link.get("text") or "")))
    return out


def digest(alert: Mapping[str, Any], *, value_chars: int = MAX_VALUE, rows_kept: int = MAX_FIELDS) -> Digest:
    """An alert row (its id, summary, severity, status, source, labels, details and links) digested,
    within the stored limits. Opsgenie tags (labels set to "true") are one row, `tags`."""
    details = alert.get("details") or {}
    rows = fields_of(details) if isinstance(details, Mapping) else [("details", as_text(details))]
    labels = alert.get("labels") or {}
    if alert.get("source") == "opsgenie" and isinstance(labels, Mapping):
        tags = sorted(str(k) for k, v in labels.items() if v == "true")
        if tags:
            rows.append(("tags", ", ".join(tags)))
    images = images_of(details) if isinstance(details, Mapping) else []
    return Digest(
        alert_id=str(alert.get("id", "")),
        summary=str(alert.get("summary", "")),
        severity=str(alert.get("severity", "")),
        status=str(alert.get("status", "")),
        source=str(alert.get("source", "")),
        fields=tuple((clip(k, 200), clip(v, value_chars)) for k, v in rows[:rows_kept]),
        links=tuple((clip(h, 2000), clip(t, 200)) for h, t in links_of(alert.get("links"))[:MAX_LINKS]),
        images=tuple((clip(s, 2000), clip(t, 200)) for s, t in images[:MAX_IMAGES]),
        more_fields=max(0, len(rows) - rows_kept),
    )


def is_web_url(url: str) -> bool:
    """Only http(s) addresses are ever made into links; anything else is shown as text."""
    return url.lower().startswith(("https://", "http://"))


def fit(fields: Sequence[tuple[str, str]], *, rows: int, value_chars: int) -> tuple[list[tuple[str, str]], int]:
    """At most `rows` rows with values of at most `value_chars` characters, and how many were left out."""
    kept = [(clip(k, min(value_chars, 200)), clip(v, value_chars)) for k, v in fields[:rows]]
    return kept, max(0, len(fields) - rows)
