"""Backstage catalog-info.yaml and Firebell services: Backstage's own documented examples read as
services, other kinds are skipped with a note, errors name the document and the field, and an
exported service reads back as it was."""

from __future__ import annotations

import json

import pytest

from firebell.catalog.backstage import Service, entity_of, owner_ref, owner_team_of, parse_ref
from firebell.catalog.backstage_read import read_catalog
from firebell.catalog.backstage_yaml import dump_documents, load_documents
from firebell.catalog.fields import DEFAULTS, stored_values
from firebell.kernel.errors import ValidationFailed

# As Backstage's descriptor-format documentation writes a Component, a Group and a Location,
# with Firebell's own annotations added to the component.
CATALOG_INFO = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: artist-web
  description: The place to be, for great artists
  labels:
    example.com/custom: custom_label_value
  annotations:
    example.com/service-discovery: artistweb
    circleci.com/project-slug: github/example-org/artist-website
    backstage.io/managed-by-location: url:https://github.com/example-org/artist-website/catalog-info.yaml
    firebell.io/tier: "1"
    firebell.io/escalation-policy: artists-primary
    firebell.io/slos: '[{"kind": "availability", "target": "99.9%"}, {"kind": "latency_p99", "target": 500}]'
  tags:
    - java
  links:
    - url: https://admin.example-org.com
      title: Admin Dashboard
      icon: dashboard
      type: admin-dashboard
    - url: https://wiki.example-org.com/artist-web/runbook
      title: Runbook
      type: runbook
    - url: mailto:artists@example-org.com
      title: Mail the team
spec:
  type: website
  lifecycle: production
  owner: artist-relations-team
  system: public-websites
  dependsOn:
    - component:default/artist-lookup
    - resource:default/artists-db
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: artist-relations-team
spec:
  type: team
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: Location
metadata:
  name: org-repos
spec:
  targets:
    - ./artist-lookup/catalog-info.yaml
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: artist-lookup
spec:
  type: service
  lifecycle: experimental
  owner: group:default/artist-relations-team
"""


def component(name: str = "checkout", **spec: object) -> dict[str, object]:
    return {
        "apiVersion": "backstage.io/v1alpha1",
        "kind": "Component",
        "metadata": {"name": name},
        "spec": {"type": "service", "lifecycle": "production", "owner": "payments", **spec},
    }


def test_backstages_documented_component_reads_as_a_service() -> None:
    catalog = read_catalog(load_documents(CATALOG_INFO))
    assert [(index, s.name) for index, s in catalog.services] == [(0, "artist-web"), (3, "artist-lookup")]
    web = catalog.services[0][1]
    assert web.values == {
        "description": "The place to be, for great artists",
        "tags": ["java"],
        "component_type": "website",
        "lifecycle": "production",
        "owner_team": "artist-relations-team",
        "system": "public-websites",
        "runbook_url": "https://wiki.example-org.com/artist-web/runbook",
        "dashboards": [{"title": "Admin Dashboard", "url": "https://admin.example-org.com"}],
        "tier": 1,
        "slos": [
            {"kind": "availability", "target": 99.9, "unit": "%", "window": "30d"},
            {"kind": "latency_p99", "target": 500, "unit": "ms", "window": "5m"},
        ],
    }
    assert web.escalation_policy == "artists-primary"
    assert web.depends_on == ("component:default/artist-lookup", "resource:default/artists-db")
    # Other tools' annotations are kept; the one Backstage sets itself when reading a file is not.
    assert web.annotations == {
        "example.com/service-discovery": "artistweb",
        "circleci.com/project-slug": "github/example-org/artist-website",
    }
    lookup = catalog.services[1][1]
    assert lookup.values["owner_team"] == "artist-relations-team"
    assert "tier" not in lookup.values
    assert lookup.escalation_policy is None
    assert [(n.field, n.message) for n in catalog.notes] == [
        ("documents.0.metadata.links.2.url", "skipped: only http(s) links become dashboards"),
        ("documents.1.kind", "skipped a Group: only Components become services"),
        (
            "documents.2.kind",
            "skipped a Location: only Components become services (import the files it points to instead)",
        ),
    ]


@pytest.mark.parametrize(
    ("document", "field", "message"),
    [
        (
            {**component(), "spec": {"type": "service", "lifecycle": "production"}},
            "documents.1.spec.owner",
            "must be a non-empty string",
        ),
        (
            {**component(), "apiVersion": "v1"},
            "documents.1.apiVersion",
            "use backstage.io/v1alpha1 or backstage.io/v1beta1",
        ),
        (
            component("has space"),
            "documents.1.metadata.name",
            "use 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit",
        ),
        (
            component(dependsOn=["component:default/checkout"]),
            "documents.1.spec.dependsOn.0",
            "a component cannot depend on itself",
        ),
        (
            component(dependsOn=["not a ref"]),
            "documents.1.spec.dependsOn.0",
            "write an entity reference such as component:default/payments-db",
        ),
        (component(dependsOn="component:x"), "documents.1.spec.dependsOn", "must be a list"),
        (
            {"kind": "Component"} | {"apiVersion": "backstage.io/v1alpha1", "metadata": []},
            "documents.1.metadata",
            "must be a mapping",
        ),
        (["a list"], "documents.1", "must be a mapping"),
        ({"metadata": {"name": "x"}}, "documents.1.kind", "must be a non-empty string"),
    ],
)
def test_a_bad_document_is_refused_naming_its_index_and_field(document: object, field: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        read_catalog([component("other"), document])
    assert caught.value.details == [{"field": field, "message": message}]
    assert caught.value.message == f"{field}: {message}"


def test_every_bad_document_is_reported_at_once() -> None:
    tier = component("a")
    tier["metadata"] = {"name": "a", "annotations": {"firebell.io/tier": "4"}}
    slos = component("b")
    slos["metadata"] = {"name": "b", "annotations": {"firebell.io/slos": '[{"kind": "availability", "target": 101}]'}}
    broken = component("c")
    broken["metadata"] = {"name": "c", "annotations": {"firebell.io/slis": "[{"}}
    with pytest.raises(ValidationFailed) as caught:
        read_catalog([tier, None, slos, broken, component("A"), component("a")])
    fields = [d["field"] for d in caught.value.details]
    assert fields == [
        "documents.0.metadata.annotations.firebell.io/tier",
        "documents.2.metadata.annotations.firebell.io/slos.0.target",
        "documents.3.metadata.annotations.firebell.io/slis",
        "documents.5.metadata.name",
    ]
    assert caught.value.details[3]["message"] == "a second a (see documents.4)"
    assert caught.value.message.endswith("(and 3 more)")


def test_owners_that_are_no_entity_reference_travel_in_an_annotation() -> None:
    assert owner_team_of("group:default/payments") == owner_team_of("group:payments") == "payments"
    assert owner_team_of("user:default/jdoe") == "user:default/jdoe"
    assert owner_ref("Payments Team") == "payments-team"
    assert owner_ref("") == "unknown"
    assert owner_ref("user:jdoe") == "user:jdoe"
    for team in ("payments", "Payments Team", "", "group:default/dba", "user:jdoe", "ü"):
        entity = entity_of(Service("x", stored_values({"owner_team": team})))
        assert read_catalog([entity]).services[0][1].values["owner_team"] == team


def test_an_export_is_a_backstage_component_that_reads_back_as_it_was() -> None:
    values = stored_values(
        {
            "description": "Takes the money",
            "owner_team": "Payments Team",
            "tier": 1,
            "runbook_url": "https://wiki.example.com/checkout",
            "slos": [{"kind": "availability", "target": "99.9%"}, {"kind": "error_rate", "target": "< 0.1%"}],
            "slis": [{"name": "Availability SLI", "query": 'sum(rate(http_requests_total{status!~"5.."}[5m]))'}],
            "dashboards": [{"title": "Production Overview", "url": "https://grafana.example.com/d/prod"}],
            "tags": ["python"],
            "system": "shop",
        }
    )
    service = Service(
        "checkout",
        {**DEFAULTS, **values},
        {"github.com/project-slug": "example/checkout"},
        "primary",
        ("component:default/ledger", "resource:default/orders-db"),
    )
    entity = entity_of(service)
    assert entity["spec"] == {
        "type": "service",
        "lifecycle": "production",
        "owner": "payments-team",
        "system": "shop",
        "dependsOn": ["component:default/ledger", "resource:default/orders-db"],
    }
    annotations = entity["metadata"]["annotations"]  # type: ignore[index]
    assert annotations["firebell.io/tier"] == "1"
    assert annotations["firebell.io/owner-team"] == "Payments Team"
    assert json.loads(annotations["firebell.io/slos"])[1] == {
        "kind": "error_rate",
        "target": 0.1,
        "unit": "%",
        "window": "5m",
    }
    text = dump_documents([entity])
    assert text.startswith("---\napiVersion: backstage.io/v1alpha1\nkind: Component\n")
    read = read_catalog(load_documents(text)).services[0][1]
    assert {**DEFAULTS, **read.values} == service.values
    assert (read.annotations, read.escalation_policy, read.depends_on) == (
        service.annotations,
        service.escalation_policy,
        service.depends_on,
    )


def test_empty_firebell_annotations_clear_and_other_namespaces_are_noted() -> None:
    entity = component(dependsOn=["component:ledger", "component:other/ledger"])
    entity["metadata"] = {
        "name": "checkout",
        "namespace": "shop",
        "annotations": {"firebell.io/slos": "", "firebell.io/escalation-policy": "", "firebell.io/colour": "red"},
    }
    catalog = read_catalog([entity])
    service = catalog.services[0][1]
    assert service.values["slos"] == []
    assert service.escalation_policy == ""
    # The document's own namespace is imported as Firebell's; another namespace's component is external.
    assert service.depends_on == ("component:default/ledger", "component:other/ledger")
    assert [n.field for n in catalog.notes] == [
        "documents.0.metadata.namespace",
        "documents.0.metadata.annotations.firebell.io/colour",
    ]


def test_entity_references_parse_as_backstage_writes_them() -> None:
    assert parse_ref("component:default/x") == parse_ref("Component:x") == parse_ref("x")
    assert parse_ref("resource:db").text == "resource:default/db"  # type: ignore[union-attr]
    assert parse_ref("a b") is None
    assert load_documents("a: 1\n---\n---\nb: 2\n") == [{"a": 1}, None, {"b": 2}]
    with pytest.raises(ValidationFailed, match="not valid YAML at line 2"):
        load_documents("a: 1\nb: c: d\n")
