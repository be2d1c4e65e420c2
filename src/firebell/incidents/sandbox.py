"""The Jinja2 sandbox communication templates render in, with its amplifiers closed.

Jinja's own sandbox keeps a template away from Python internals but not from building a huge string
in one step: `'%1000000000s' % x`, `x.ljust(10**9)`, `'x' * 10**9`, `'{:>1000000000}'.format(x)`,
`range(...)|batch(10**9, 'x')`. Each of these is refused here before it runs, with the message
"the template exceeded N ...", so the common attack fails fast and clearly. The renderer's worker
process (render_pool.py) still bounds time and memory for whatever gets past these checks.

This module imports only Jinja2 and the stdlib: it is what the worker process loads.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Iterable, Mapping
from string import Formatter
from typing import Any

from jinja2 import Environment, Template, TemplateSyntaxError, Undefined
from jinja2.filters import do_batch, do_center, do_format, do_indent
from jinja2.sandbox import SandboxedEnvironment, SandboxedFormatter

MAX_RANGE = 10_000  # items: a loop over more is not a message
_BIG = 10**6
# `%` conversions: the optional mapping key, flags, width and precision of each.
_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")
_WIDTH_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs", "replace"})


class TemplateLimit(Exception):
    """A template went over one of the rendering limits; the message names it."""


class _LimitedFormatter(SandboxedFormatter):
    """`str.format` with its widths and precisions checked after nested fields are filled in."""

    def __init__(self, env: Sandbox) -> None:
        super().__init__(env)
        self._limit = env.max_output

    def format_field(self, value: Any, format_spec: str) -> Any:
        _check_numbers(re.findall(r"\d+", format_spec), self._limit, "a format width")
        return super().format_field(value, format_spec)


def _check_numbers(numbers: Iterable[str], limit: int, what: str) -> None:
    for number in numbers:
        if number == "*":
            raise TemplateLimit(f"the template exceeded what {what} allows: a `*` width is not allowed in templates")
        if number and int(number) > limit:
            raise TemplateLimit(f"the template exceeded {limit} characters ({what} of {number})")


class Sandbox(SandboxedEnvironment):
    """The sandbox with every string a template builds in one step kept under `max_output`."""

    intercepted_binops = frozenset({"**", "*", "%"})

    def __init__(self, max_output: int) -> None:
        super().__init__(autoescape=False, undefined=Undefined, keep_trailing_newline=False)
        self.max_output = max_output
        self.globals["range"] = self._range
        self.globals.pop("lipsum", None)  # lipsum(n=10**9) is a text flood
        self.filters.update(center=self._center, indent=self._indent, format=self._format, batch=self._batch)
        # Compiled once per source text: the incident page renders its suggested update on every load.
        # A source that does not parse raises each time (exceptions are not cached).
        self.compiled: Callable[[str], Template] = functools.lru_cache(maxsize=256)(self.from_string)

    def _size(self, size: int, what: str) -> None:
        if size > self.max_output:
            raise TemplateLimit(f"the template exceeded {self.max_output} characters ({what} of {size})")

    def call_binop(self, _context: Any, operator_name: str, left: Any, right: Any) -> Any:
        if operator_name == "**":
            if abs(left) > _BIG or abs(right) > 64:
                raise ValueError("** is limited to small numbers in templates")
            return operator.pow(left, right)
        if operator_name == "%":
            if isinstance(left, str):
                _check_numbers((n for pair in _PERCENT.findall(left) for n in pair), self.max_output, "a % width")
            return operator.mod(left, right)
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple) and isinstance(times, int):
                self._size(len(seq) * times, "a repeated sequence")
        for side in (left, right):
            if isinstance(side, int) and abs(side) > _BIG:
                raise ValueError("* is limited to small numbers in templates")
        return operator.mul(left, right)

    def call(self, context: Any, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(obj, "__self__", None)
        name = getattr(obj, "__name__", "")
        if isinstance(owner, str) and name in _WIDTH_METHODS:
            self._size(_method_result_size(owner, name, args, kwargs), f"{name}()")
        return super().call(context, obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        owner = getattr(value, "__self__", None)
        if not isinstance(owner, str) or getattr(value, "__name__", "") not in {"format", "format_map"}:
            return None
        formatter = _LimitedFormatter(self)

        def wrapper(*args: Any, **kwargs: Any) -> str:
            if value.__name__ != "format_map":
                return Formatter.vformat(formatter, owner, args, kwargs)
            if kwargs or len(args) != 1:
                raise TypeError("format_map() takes exactly one argument")
            return Formatter.vformat(formatter, owner, (), args[0])

        return wrapper

    def _range(self, *args: int) -> range:
        numbers = range(*args)
        if len(numbers) > MAX_RANGE:
            raise TemplateLimit(f"the template exceeded {MAX_RANGE} items (a range of {len(numbers)})")
        return numbers

    def _center(self, value: str, width: int = 80) -> str:
        self._size(width, "a center width")
        return do_center(value, width)

    def _indent(self, s: str, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
        if isinstance(width, int):
            self._size(width * (str(s).count("\n") + 1), "an indent")
        else:
            self._size(len(width) * (str(s).count("\n") + 1), "an indent")
        return do_indent(s, width, first, blank)

    def _format(self, value: str, *args: Any, **kwargs: Any) -> str:
        _check_numbers((n for pair in _PERCENT.findall(str(value)) for n in pair), self.max_output, "a % width")
        return do_format(value, *args, **kwargs)

    def _batch(self, value: Iterable[Any], linecount: int, fill_with: Any = None) -> Any:
        self._size(linecount, "a batch")
        return do_batch(value, linecount, fill_with)


def _method_result_size(text: str, name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    """How long `text.name(*args)` would be, at most (0 when the arguments are not numbers)."""
    if name == "replace":
        old, new = ([*list(args), kwargs.get("old"), kwargs.get("new")])[:2]
        if not isinstance(old, str) or not isinstance(new, str):
            return 0
        found = text.count(old) if old else len(text) + 1
        return len(text) + found * max(0, len(new) - len(old))
    default = 8 if name == "expandtabs" else 0
    width = args[0] if args else kwargs.get("tabsize" if name == "expandtabs" else "width", default)
    if not isinstance(width, int):
        return 0
    if name == "expandtabs":
        return len(text) + text.count("\t") * max(0, width)
    return width


def parse_error(env: Environment, source: str) -> str | None:
    """`line N: what` when the source does not parse, else None."""
    try:
        env.parse(source)
    except TemplateSyntaxError as exc:
        return f"line {exc.lineno}: {exc.message}"
    return None


def render_text(env: Sandbox, source: str, variables: Mapping[str, Any]) -> str:
    """The template rendered as plain text, lines right-trimmed; the output kept under the limit."""
    chunks: list[str] = []
    size = 0
    for chunk in env.compiled(source).generate(**variables):
        size += len(chunk)
        if size > env.max_output:
            raise TemplateLimit(f"the template exceeded {env.max_output} characters of output")
        chunks.append(chunk)
    text = "".join(chunks)
    return "\n".join(line.rstrip() for line in text.strip().splitlines()) + "\n"
