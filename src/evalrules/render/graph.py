"""The dependency graph of a compiled scheme as Graphviz dot or Mermaid text."""

from __future__ import annotations

import json

from ..compiler import Plan

_SHAPES_DOT = {"fact": "note", "derived": "ellipse", "node": "box", "rule": "hexagon",
               "veto": "octagon", "rating": "doubleoctagon"}
_SHAPES_MERMAID = {"fact": ("[/", "/]"), "derived": ("(", ")"), "node": ("[", "]"),
                   "rule": ("{{", "}}"), "veto": ("{", "}"), "rating": ("([", "])")}


def _labels(plan: Plan) -> dict[str, str]:
    s = plan.scheme
    labels = {f"fact:{f.id}": f.label for f in s.facts}
    labels.update({f"derived:{d.id}": d.label for d in s.derived})
    labels.update({f"node:{n.id}": n.label for n in s.nodes()})
    labels.update({f"rule:{r.id}": r.label for r in s.adjustments})
    labels.update({f"veto:{v.id}": v.label for v in s.vetoes})
    labels.update({f"rating:{r.id}": r.label for r in s.ratings})
    return labels


def _ordered_edges(plan: Plan) -> list[tuple[str, str]]:
    seen: dict[tuple[str, str], None] = {}
    for edge in plan.edges:
        seen.setdefault((edge.source, edge.target), None)
    return list(seen)


def to_dot(plan: Plan) -> str:
    labels = _labels(plan)
    lines = [f"digraph {json.dumps(plan.scheme.id)} {{", "  rankdir=LR;",
             "  node [fontname=\"Noto Sans CJK SC\"];"]
    for key, label in labels.items():
        kind, _, ident = key.partition(":")
        text = json.dumps(f"{label}\n{ident}", ensure_ascii=False)
        lines.append(f"  {json.dumps(key)} [label={text}, shape={_SHAPES_DOT[kind]}];")
    for source, target in _ordered_edges(plan):
        lines.append(f"  {json.dumps(source)} -> {json.dumps(target)};")
    lines.append("}")
    return "\n".join(lines)


def to_mermaid(plan: Plan) -> str:
    labels = _labels(plan)
    ids = {key: f"n{i}" for i, key in enumerate(labels)}
    lines = ["flowchart LR"]
    for key, label in labels.items():
        kind, _, ident = key.partition(":")
        left, right = _SHAPES_MERMAID[kind]
        text = f"{label}<br/>{ident}".replace('"', "#quot;")
        lines.append(f"  {ids[key]}{left}\"{text}\"{right}")
    for source, target in _ordered_edges(plan):
        if source in ids and target in ids:
            lines.append(f"  {ids[source]} --> {ids[target]}")
    return "\n".join(lines)
