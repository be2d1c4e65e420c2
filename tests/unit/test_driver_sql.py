from __future__ import annotations

import sqlite3

from firebell.infra.driver_sql import _positional


def test_named_parameters_become_positional_in_order() -> None:
    sql, names = _positional("SELECT :a, :b, :a WHERE x = :c", True)
    assert sql == "SELECT ?, ?, ? WHERE x = ?"
    assert names == ("a", "b", "a", "c")


def test_postgresql_marks_escape_percent_and_keep_casts() -> None:
    sql, names = _positional("SELECT :v::text LIKE '10%' AND y = :w", False)
    assert sql == "SELECT %s::text LIKE '10%%' AND y = %s"
    assert names == ("v", "w")


def test_converted_statement_runs_with_values_in_name_order() -> None:
    conn = sqlite3.connect(":memory:")
    sql, names = _positional("SELECT :b || :a || :b", True)
    params = {"a": "x", "b": "y"}
    assert conn.execute(sql, [params[n] for n in names]).fetchone() == ("yxy",)
