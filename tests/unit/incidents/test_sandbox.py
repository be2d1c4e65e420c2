"""The template sandbox refuses, before running them, the one-step amplifiers that once took the
server from 1.2 GB to 4.3 GB: the refusal is fast, names the limit, and costs no memory."""

from __future__ import annotations

import resource
import time

import pytest

from firebell.incidents.sandbox import MAX_RANGE, Sandbox, TemplateLimit, render_text

LIMIT = 65_536
HUGE = 1_000_000_000

ATTACKS = {
    "percent width": "{{ '%1000000000s' % 'x' }}",
    "percent named width": "{{ '%(a)1000000000s' % {'a': 1} }}",
    "percent star width": "{{ '%*s' % (1000000000, 'x') }}",
    "format filter": "{{ '%1000000000s'|format('x') }}",
    "str.format width": "{{ '{:>1000000000}'.format('x') }}",
    "str.format nested width": "{{ '{:>{w}}'.format('x', w=1000000000) }}",
    "str.format_map": "{{ '{a:>1000000000}'.format_map({'a': 1}) }}",
    "ljust": "{{ 'x'.ljust(1000000000) }}",
    "rjust": "{{ 'x'.rjust(1000000000) }}",
    "center method": "{{ 'x'.center(1000000000) }}",
    "zfill": "{{ '1'.zfill(1000000000) }}",
    "expandtabs": "{{ ('\t' * 100).expandtabs(10000000) }}",
    "replace": "{{ ('x' * 60000).replace('', 'yyyyyyyyyy') }}",
    "string times": "{{ 'x' * 1000000000 }}",
    "times string": "{{ 1000000 * ('x' * 1000) }}",
    "list times": "{{ ([1] * 1000000)|length }}",
    "center filter": "{{ 'x'|center(1000000000) }}",
    "indent filter": "{{ ('x\n' * 1000)|indent(100000) }}",
    "batch fill": "{{ range(3)|batch(1000000000, 'x')|list }}",
    "big range": "{% for i in range(100000) %}{% endfor %}",
    "output flood": "{% for i in range(10000) %}{{ 'x' * 100 }}{% endfor %}",
}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("source", ATTACKS.values(), ids=ATTACKS.keys())
def test_an_amplifier_is_refused_fast_and_costs_no_memory(source: str) -> None:
    sandbox = Sandbox(LIMIT)
    peak_before = _peak_rss_mb()
    started = time.perf_counter()
    with pytest.raises(TemplateLimit, match="the template exceeded") as refused:
        render_text(sandbox, source, {})
    took = time.perf_counter() - started
    grew = _peak_rss_mb() - peak_before
    assert took < 0.5, f"refused after {took:.3f} s"
    assert grew < 20, f"the process's peak memory grew by {grew:.0f} MB"
    assert str(LIMIT) in str(refused.value) or str(MAX_RANGE) in str(refused.value) or "`*`" in str(refused.value)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("[{{ '%5s|%-3d|%.2f' % ('ab', 7, 3.14159) }}]", "[   ab|7  |3.14]"),
        ("[{{ '{:>6}|{:03d}'.format('ab', 7) }}]", "[    ab|007]"),
        ("{{ 'ab'.ljust(4, '.') }}{{ 'cd'.rjust(4, '.') }}{{ '5'.zfill(3) }}", "ab....cd005"),
        ("{{ '-' * 10 }}{{ [1, 2] * 2 }}", "----------[1, 2, 1, 2]"),
        ("{% for i in range(3) %}{{ i }}{% endfor %}{{ 'a b'.replace(' ', '--') }}", "012a--b"),
        ("{{ 'x'|center(5) }}|{{ range(5)|batch(2, 0)|list }}", "x  |[[0, 1], [2, 3], [4, 0]]"),
        ("{{ 2 ** 10 }} {{ 3 * 4 }} {{ 7 % 3 }}", "1024 12 1"),
    ],
)
def test_ordinary_templates_still_render(source: str, expected: str) -> None:
    assert render_text(Sandbox(LIMIT), source, {}) == expected + "\n"


def test_the_output_limit_is_the_one_given() -> None:
    sandbox = Sandbox(2048)
    assert len(render_text(sandbox, "{{ 'x' * 2000 }}", {})) == 2001
    with pytest.raises(TemplateLimit, match="exceeded 2048 characters"):
        render_text(sandbox, "{{ 'x' * 2100 }}", {})
    with pytest.raises(TemplateLimit, match="exceeded 2048 characters of output"):
        render_text(sandbox, "{% for i in range(30) %}{{ 'x' * 100 }}{% endfor %}", {})
