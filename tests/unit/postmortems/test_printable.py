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


def test_the_phase_bars_are_well_formed_scaled_and_escaped() -> None:
    import xml.etree.ElementTree as ET
    from datetime import timedelta

    from firebell.postmortems.diagrams.phases import phases_svg

    svg = phases_svg(
        [("<b>Resolution</b>", timedelta(minutes=40), "40 min"), ("Response", timedelta(minutes=10), "10 min")]
    )
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    bars = [e for e in root.iter() if e.tag.endswith("rect")]
    assert [float(b.get("width", "0")) for b in bars] == [360.0, 90.0]
    assert "<b>" not in svg
    assert "&lt;b&gt;Resolution&lt;/b&gt;" in svg
    assert phases_svg([]) == ""
