"""Shared test helpers for the postmortem cores."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from firebell.kernel.errors import ValidationFailed


def refused(parse: Callable[[object], object], data: object) -> tuple[str, str]:
    """The (field, message) of the ValidationFailed that `parse(data)` raises."""
    with pytest.raises(ValidationFailed) as caught:
        parse(data)
    detail = caught.value.details[0]
    return str(detail["field"]), str(detail["message"])
