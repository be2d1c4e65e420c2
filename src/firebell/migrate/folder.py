"""Reading saved API answers from a folder: one JSON file per endpoint, as a list or as a page."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any


def read_list(file: Path, key: str) -> list[dict[str, Any]] | None:
    """The objects in `file`: a list of them, or a page holding them under `results` or `key`
    (PagerDuty's `{"users": [...], "more": ...}`); None when there is no such file. A file that is
    not JSON or holds no list of objects raises ValueError."""
    if not file.is_file():
        return None
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{file}: not JSON ({exc})") from None
    items = data.get("results", data.get(key)) if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError(f"{file}: neither a list of objects nor a page of them")
    return items


def read_lists(path: Path, names: Iterable[str]) -> dict[str, list[dict[str, Any]] | None]:
    """`name.json` of each name under `path`, read by `read_list` (None: no such file). A missing
    folder, or one with none of the files, raises FileNotFoundError."""
    names = tuple(names)
    if not path.is_dir():
        raise FileNotFoundError(f"{path} is not a directory")
    if not any((path / f"{name}.json").is_file() for name in names):
        raise FileNotFoundError(f"{path} holds none of {', '.join(f'{n}.json' for n in names)}")
    return {name: read_list(path / f"{name}.json", name) for name in names}


def read_each(folder: Path, key: str) -> dict[str, list[Mapping[str, Any]]]:
    """Every `<id>.json` in `folder` (if it exists), by id, read by `read_list`."""
    if not folder.is_dir():
        return {}
    found: dict[str, list[Mapping[str, Any]]] = {}
    for file in sorted(folder.glob("*.json")):
        items = read_list(file, key)
        if items is not None:
            found[file.stem] = list(items)
    return found
