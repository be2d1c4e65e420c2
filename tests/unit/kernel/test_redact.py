from __future__ import annotations

import pytest

from firebell.kernel.redact import without_passwords


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("at postgresql+psycopg://fb:s3cret@db:5432/fb: no", "at postgresql+psycopg://fb:***@db:5432/fb: no"),
        ("postgresql://fb:p@ss@db/fb", "postgresql://fb:***@db/fb"),
        ("host=db user=fb password=s3cret dbname=fb", "host=db user=fb password=*** dbname=fb"),
        (
            "postgresql://fb@db/fb?sslpassword=s3cret&sslmode=require",
            "postgresql://fb@db/fb?sslpassword=***&sslmode=require",
        ),
        ("postgresql://fb@db/fb", "postgresql://fb@db/fb"),
        ("sqlite:///./firebell.db", "sqlite:///./firebell.db"),
        (
            "page alice@example.com, see https://status.example/a",
            "page alice@example.com, see https://status.example/a",
        ),
    ],
)
def test_passwords_are_masked_and_nothing_else(text: str, shown: str) -> None:
    assert without_passwords(text) == shown
