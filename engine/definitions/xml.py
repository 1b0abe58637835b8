"""Hardened XML parsing for diagrams, which are untrusted (edited in a browser).

No DTD at all (so no external entities, no entity expansion bombs), no network, no huge
trees. A BPMN file never needs a DOCTYPE, so one is refused outright.
"""

from __future__ import annotations

from lxml import etree

from engine.errors import DomainError

MAX_BYTES = 5 * 1024 * 1024


class XmlRefused(DomainError):
    """The file is not acceptable XML; the message names the file and why."""


_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_pis=True,
)


def parse_untrusted(data: bytes, filename: str) -> etree._Element:
    if len(data) > MAX_BYTES:
        raise XmlRefused(f"{filename}: el archivo supera {MAX_BYTES // (1024 * 1024)} MB")
    head = data[:4096].upper()
    if b"<!DOCTYPE" in head or b"<!ENTITY" in data.upper():
        raise XmlRefused(f"{filename}: no se admiten DOCTYPE ni entidades en un diagrama BPMN")
    try:
        root = etree.fromstring(data, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise XmlRefused(f"{filename}, línea {exc.lineno}: XML mal formado ({exc.msg})") from None
    if root.getroottree().docinfo.doctype:
        raise XmlRefused(f"{filename}: no se admiten DOCTYPE en un diagrama BPMN")
    return root
