"""``ensure_diagram(xml)``: a diagram bpmn-js can draw. A file with its own drawing (BPMN DI,
e.g. saved from the modeler) is kept as it is; one without gets the layout of
``engine.definitions.layout`` (pools, lanes, shapes, edges)."""

from __future__ import annotations

from engine.definitions.layout import DIAGRAM_TAG, layout_bytes
from engine.definitions.xml import parse_untrusted


def has_diagram(xml: str) -> bool:
    return parse_untrusted(xml.encode("utf-8"), "diagrama.bpmn").find(DIAGRAM_TAG) is not None


def ensure_diagram(xml: str) -> str:
    """The same document, with a generated drawing when it has none."""
    if has_diagram(xml):
        return xml
    return layout_bytes(xml.encode("utf-8"), "diagrama.bpmn").decode("utf-8")
