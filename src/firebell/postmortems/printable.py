"""The printable postmortem: its markdown rendered to one self-contained HTML page.

Raw HTML in what people wrote is not rendered (markdown-it's `html` option is off), so stored
text cannot put script or markup on the page; the diagrams are Firebell's own escaped SVG.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token


def _renderer(figures: Mapping[str, str]) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")
    default_fence = md.renderer.rules.get("fence")  # type: ignore[attr-defined]

    def fence(_renderer: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
        token = tokens[idx]
        if token.info.strip() == "mermaid":
            svg = figures.get(token.content.strip())
            if svg is not None:
                return f'<figure class="diagram">{svg}</figure>\n'
            return f'<pre class="mermaid-source"><code>{escape(token.content)}</code></pre>\n'
        assert default_fence is not None  # noqa: S101 - commonmark has one
        return str(default_fence(tokens, idx, options, env))

    md.add_render_rule("fence", fence)
    return md


def render_markdown(text: str, figures: Mapping[str, str] | None = None) -> str:
    """Markdown to safe HTML; mermaid blocks Firebell drew itself become their SVG."""
    return str(_renderer(figures or {}).render(text))


PRINT_STYLE = """
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d232b; max-width: 60rem;
       margin: 2rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.7rem; border-bottom: 2px solid #c0392b; padding-bottom: .3rem; }
h2 { font-size: 1.3rem; margin-top: 2rem; border-bottom: 1px solid #d9dee4; }
h3 { font-size: 1.05rem; margin-top: 1.3rem; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: 13px; }
th, td { border: 1px solid #cfd6de; padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f1f4f7; }
pre { background: #f6f8fa; padding: .6rem .8rem; overflow-x: auto; font-size: 12px; }
hr { border: 0; border-top: 1px solid #e3e7eb; margin: 1.5rem 0; }
figure.diagram { margin: .5rem 0 1rem; overflow-x: auto; }
figure.diagram svg { max-width: 100%; height: auto; }
em { color: #5b6670; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  h2 { break-after: avoid; } table, figure, pre { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def printable_html(text: str, title: str, figures: Mapping[str, str] | None = None) -> str:
    body = render_markdown(text, figures)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Postmortem: {escape(title)}</title>"
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{PRINT_STYLE}</style></head>\n<body>\n{body}</body></html>\n"
    )
