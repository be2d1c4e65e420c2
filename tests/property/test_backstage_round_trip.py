"""Any service exported as a Backstage Component, written as YAML and read back, is the same service."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from firebell.catalog.backstage import Service, component_ref, entity_of
from firebell.catalog.backstage_read import read_catalog
from firebell.catalog.backstage_yaml import dump_documents, load_documents
from firebell.catalog.fields import DEFAULTS, stored_values

names = st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]", fullmatch=True).filter(lambda n: n != "graph")
words = st.from_regex(r"[a-z][a-z0-9_.-]{0,15}", fullmatch=True)
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
urls = st.builds(lambda host, path: f"https://{host}.example.com/{path}", words, words)
owners = st.one_of(st.sampled_from(["", "payments", "Payments Team", "group:default/dba", "user:jdoe"]), texts)
slos = st.lists(
    st.one_of(
        st.builds(
            lambda t, w: {"kind": "availability", "target": t, "window": w},
            st.floats(min_value=0.001, max_value=100),
            st.sampled_from(["30d", "7d"]),
        ),
        st.builds(lambda t: {"kind": "latency_p99", "target": t}, st.integers(1, 10_000)),
        st.builds(lambda t: {"kind": "error_rate", "target": t, "window": "1h"}, st.floats(0.0001, 99.9)),
        st.builds(lambda t: {"kind": "throughput", "target": t, "unit": "rpm"}, st.integers(1, 10**9)),
    ),
    max_size=4,
    unique_by=lambda s: (s["kind"], s.get("window")),
)
slis = st.lists(
    st.builds(lambda n, q: {"name": n, "query": q}, words, texts.filter(str.strip)),
    unique_by=lambda s: s["name"],
    max_size=3,
)
dashboards = st.lists(st.builds(lambda t, u: {"title": t, "url": u}, texts, urls), max_size=3)
tags = st.lists(st.from_regex(r"[a-z0-9+#]{1,8}(-[a-z0-9]{1,5})?", fullmatch=True), unique=True, max_size=4)
values = st.fixed_dictionaries(
    {
        "description": texts,
        "owner_team": owners,
        "tier": st.integers(1, 3),
        "runbook_url": st.one_of(st.none(), urls),
        "lifecycle": words,
        "system": texts,
        "component_type": words,
        "tags": tags,
        "slos": slos,
        "slis": slis,
        "dashboards": dashboards,
    }
)
annotations = st.dictionaries(st.from_regex(r"example\.com/[a-z]{1,10}", fullmatch=True), texts, max_size=3)
references = st.lists(
    st.one_of(names.map(component_ref), names.map(lambda n: f"resource:default/{n}")), unique=True, max_size=4
)


@settings(max_examples=100, deadline=None)
@given(names, values, annotations, st.one_of(st.none(), words), references)
def test_export_then_import_gives_the_same_service(
    name: str, raw: dict[str, object], others: dict[str, str], policy: str | None, depends_on: list[str]
) -> None:
    service = Service(
        name,
        {**DEFAULTS, **stored_values(raw)},
        others,
        policy,
        tuple(r for r in depends_on if r != component_ref(name)),
    )
    text = dump_documents([entity_of(service)])
    (index, read), *rest = read_catalog(load_documents(text)).services
    assert (index, rest) == (0, [])
    assert read.name == service.name
    assert {**DEFAULTS, **read.values} == service.values
    assert read.annotations == service.annotations
    assert read.escalation_policy == service.escalation_policy
    assert read.depends_on == service.depends_on


def test_characters_yaml_reads_as_line_breaks_come_back_unchanged() -> None:
    raw = {"system": "a\x85b", "slis": [{"name": "a", "query": "0\x850"}], "description": "x\u2028y\u2029"}
    service = Service("edge", {**DEFAULTS, **stored_values(raw)}, {"example.com/a": "\x85"}, None, ())
    (_index, read), *_rest = read_catalog(load_documents(dump_documents([entity_of(service)]))).services
    assert {**DEFAULTS, **read.values} == service.values
    assert read.annotations == service.annotations
