"""A runbook as HTML: raw HTML in the markdown is shown as text, never run, and every heading gets the
anchor the alert links point at (see matching). Pure."""

from __future__ import annotations

from firebell.runbooks.model import anchors, heading_titles, markdown


def render_html(body: str) -> str:
    md = markdown()
    tokens = md.parse(body)
    ids = iter(anchors(heading_titles(tokens)))
    for token in tokens:
        if token.type == "heading_open":
            token.attrSet("id", next(ids))
        elif token.type == "inline":
            for child in token.children or []:
                if child.type == "link_open":
                    child.attrSet("rel", "noopener nofollow")
    html: str = md.renderer.render(tokens, md.options, {})
    return html
