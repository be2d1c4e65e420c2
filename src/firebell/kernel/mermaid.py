"""Mermaid text for the markdown exports: escaped labels and a `kernel.diagram` graph as a flowchart.

Pure. User text never reaches mermaid's syntax: every character outside a small safe set becomes a
numeric entity (`#60;`), which mermaid turns back into the character when it draws; node ids are made
here (n0, n1, ...), never taken from the input; and the text never holds a backtick, so it cannot
close the markdown fence around it.
"""

from __future__ import annotations

from firebell.kernel.diagram import Direction, Graph, Shape, Tone

_SAFE_ASCII = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-_/()?!'+*=")

# classDef lines for the tones; stroke width and dash differ too, so tone is not shown by colour alone.
TONE_CLASSES: dict[Tone, str] = {
    Tone.ACCENT: "fill:#e8f0fb,stroke:#1f4e8c,stroke-width:2px",
    Tone.HIGHLIGHT: "fill:#fdecea,stroke:#b3261e,stroke-width:3px",
    Tone.MUTED: "fill:#f4f4f4,stroke:#8a8a8a,stroke-dasharray:4 3",
}

_SHAPES = {Shape.BOX: ("[", "]"), Shape.ROUNDED: ("(", ")"), Shape.STADIUM: ("([", "])"), Shape.HEXAGON: ("{{", "}}")}


def text(value: str, limit: int = 120) -> str:
    """`value` on one line, at most `limit` characters before escaping, every unsafe character as `#N;`."""
    flat = " ".join(value.split())
    if len(flat) > limit:
        flat = flat[: limit - 1].rstrip() + "…"
    out = []
    for ch in flat:
        if ch in _SAFE_ASCII or (ord(ch) > 127 and ch.isprintable()):
            out.append(ch)
        elif ch.isprintable():
            out.append(f"#{ord(ch)};")
    return "".join(out)


def flowchart(graph: Graph, *, limit: int = 120) -> str:
    """The graph as a mermaid flowchart, top-down or left to right as its direction says."""
    ids = {node.id: f"n{k}" for k, node in enumerate(graph.nodes)}
    lines = [f"flowchart {'TD' if graph.direction is Direction.DOWN else 'LR'}"]
    for node in graph.nodes:
        left, right = _SHAPES[node.shape]
        lines.append(f'    {ids[node.id]}{left}"{text(node.label, limit)}"{right}')
    for edge in graph.edges:
        lines.append(f"    {ids[edge.source]} {'-->' if edge.arrow else '---'} {ids[edge.target]}")
    for tone, style in TONE_CLASSES.items():
        members = [ids[n.id] for n in graph.nodes if n.tone is tone]
        if members:
            lines += [f"    classDef {tone.value} {style}", f"    class {','.join(members)} {tone.value}"]
    return "\n".join(lines) + "\n"
