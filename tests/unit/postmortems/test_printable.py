"""The printable page: markdown rendered safely, Firebell's own diagrams in place of their mermaid."""

from __future__ import annotations

from firebell.postmortems.printable import printable_html, render_markdown


def test_raw_html_in_written_text_is_shown_as_text_never_run() -> None:
    html = render_markdown("## What Happened\n\n<script>alert(1)</script> and <img src=x onerror=alert(2)>\n")
    assert "<script>" not in html
    assert "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_links_with_script_urls_are_not_made_links() -> None:
    html = render_markdown("[click](javascript:alert(1))")
    assert 'href="javascript:' not in html


def test_a_mermaid_block_firebell_drew_becomes_its_svg_and_others_stay_source() -> None:
    text = "```mermaid\nflowchart TD\n  a --> b\n```\n\n```mermaid\ngantt\n  title x\n```\n"
    html = render_markdown(text, {"flowchart TD\n  a --> b": "<svg id='drawn'></svg>"})
    assert "<figure class=\"diagram\"><svg id='drawn'></svg></figure>" in html
    assert '<pre class="mermaid-source"><code>gantt' in html


def test_tables_render_and_the_title_is_escaped() -> None:
    page = printable_html("| a | b |\n|---|---|\n| 1 | 2 |\n", "<b>Outage</b>")
    assert "<table>" in page
    assert "<title>Postmortem: &lt;b&gt;Outage&lt;/b&gt;</title>" in page
