"""The configuration reference is the settings class's own: current, complete, and every variable it
names is the one Firebell reads."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from firebell.infra.config_reference import reference
from firebell.infra.settings import Settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"


def test_the_committed_reference_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == reference(), "run: firebell config reference > docs/configuration.md"


def test_every_setting_is_described() -> None:
    missing = []
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if inspect.isclass(annotation) and issubclass(annotation, BaseModel):
            missing += [f"{name}.{n}" for n, f in annotation.model_fields.items() if not f.description]
        elif not field.description:
            missing.append(name)
    assert missing == []


def test_each_variable_named_is_read_by_that_name(monkeypatch: pytest.MonkeyPatch) -> None:
    names = re.findall(r"^\| `(FIREBELL_[A-Z_]+)` \| (.*?) \|", reference(), flags=re.M)
    assert len(names) > 60
    for variable, _default in names:
        monkeypatch.delenv(variable, raising=False)
    checked = 0
    for variable, _default in names:
        path = variable.removeprefix("FIREBELL_").lower().split("__")
        settings = Settings()
        value = settings
        for part in path:
            value = getattr(value, part)
        if isinstance(value, bool):
            monkeypatch.setenv(variable, "false" if value else "true")
            expected: object = not value
        elif isinstance(value, int | float) and not isinstance(value, bool):
            expected = value + 1  # within every bound: one more than the default
            monkeypatch.setenv(variable, str(expected))
        else:
            continue  # strings with formats of their own (URLs, literals, secrets) are covered by the others
        changed = Settings()
        for part in path:
            changed = getattr(changed, part)
        assert changed == expected, variable
        monkeypatch.delenv(variable)
        checked += 1
    assert checked > 30
