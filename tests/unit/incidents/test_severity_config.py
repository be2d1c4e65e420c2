"""The `severities:` section: what a declaration stores, how it reads back, what is refused."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from firebell.incidents.severity_config import (
    SeverityTargetsIn,
    apply_severities,
    declared_doc,
    export_severities,
    stored_doc,
)
from firebell.kernel.severity import Sev

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


class Store:
    def __init__(self) -> None:
        self.docs: dict[str, dict[str, Any]] = {}

    def stored(self) -> dict[str, dict[str, Any]]:
        return {k: dict(v) for k, v in self.docs.items()}

    def save(self, sev: Sev, doc: Any, at: datetime) -> None:
        self.docs.pop(sev.value, None)
        if doc:
            self.docs[sev.value] = dict(doc)


def test_a_declaration_stores_only_its_fields_in_seconds_and_reads_back_the_same() -> None:
    declared = SeverityTargetsIn.model_validate(
        {"acknowledge": "1h", "investigate": "4h", "update_every": "none", "business_hours": True}
    )
    doc = stored_doc(declared)
    assert doc == {"acknowledge": 3600, "investigate": 14400, "update_every": None, "business_hours": True}
    assert declared_doc(doc) == {"acknowledge": "1h", "investigate": "4h", "update_every": None, "business_hours": True}


@pytest.mark.parametrize(
    "body",
    [{"acknowledge": "soon"}, {"acknowledge": None}, {"resolve": "0m"}, {"resolve": "400d"}, {"respond": "1h"}],
)
def test_bad_declarations_are_refused(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SeverityTargetsIn.model_validate(body)


def test_applying_sets_what_changed_and_nothing_the_second_time() -> None:
    store = Store()
    declared = {"SEV-4": SeverityTargetsIn.model_validate({"acknowledge": "24h", "resolve": "14d"})}
    assert apply_severities(declared, store=store, now=NOW) == ["set the targets of SEV-4"]
    assert apply_severities(declared, store=store, now=NOW) == []
    assert export_severities(store) == {"severities": {"SEV-4": {"acknowledge": "1d", "resolve": "14d"}}}
    back = {"SEV-4": SeverityTargetsIn.model_validate({})}
    assert apply_severities(back, store=store, now=NOW) == ["set the targets of SEV-4 to the playbook's"]
    assert export_severities(store) == {}
