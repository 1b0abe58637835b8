"""Evidence files: a selection of audit events (one instance, a filtered set, or the whole
chain) as CSV — or PDF carrying that CSV as an attachment — that anyone can check offline
with ``juntos audit verify --export FILE``, without this database.

What is checked: every row's ``hash`` is the SHA-256 of its own fields and ``prev_hash``
(``engine.audit.chain``), so no row was altered; rows that follow each other in the chain
(seq N, N + 1) are linked by ``prev_hash``; seq 1 starts from the genesis hash. A selection
with gaps ends with its anchor, the ``evidence.exported`` event the export wrote into the
chain: its data holds the count and the SHA-256 of the ``seq:hash`` lines of the rows
before it, so no row can be dropped or added without breaking the anchor's hash. The
anchor's hash, printed on the PDF, is found in the live chain by ``juntos audit verify``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
from collections.abc import Mapping, Sequence
from typing import Any

from engine.audit.chain import GENESIS_HASH, HASHED_FIELDS, event_hash
from engine.audit.verify import VerifyResult, _from_export

COLUMNS = (*HASHED_FIELDS, "prev_hash", "hash")
ANCHOR_KIND = "evidence.exported"
ATTACHMENT = "evidencia.csv"


def digest(rows: Sequence[Mapping[str, Any]]) -> str:
    lines = "\n".join(f"{int(r['seq'])}:{r['hash']}" for r in rows)
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def to_csv(rows: Sequence[Mapping[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row[k] is None else row[k] for k in COLUMNS})
    return out.getvalue().encode("utf-8")


def read_file(data: bytes) -> list[dict[str, Any]]:
    """The rows of an evidence file: CSV, a PDF carrying the CSV, or a JSON list."""
    if data.startswith(b"%PDF"):
        from pypdf import PdfReader  # only the PDF path needs it

        attachments = PdfReader(io.BytesIO(data)).attachments
        if ATTACHMENT not in attachments:
            raise ValueError(f"el PDF no lleva el adjunto {ATTACHMENT}")
        data = attachments[ATTACHMENT][0]
    text = data.decode("utf-8-sig")
    if text.lstrip().startswith("["):
        return list(json.loads(text))
    return list(csv.DictReader(io.StringIO(text)))


def _fail(seq: int, checked: int, reason: str) -> VerifyResult:
    return VerifyResult(ok=False, checked=checked, first_bad_seq=seq, reason=reason)


def verify_evidence(rows: Sequence[Mapping[str, Any]]) -> VerifyResult:
    events = []
    for row in rows:
        try:
            events.append(_from_export(row))
        except (KeyError, TypeError, ValueError) as exc:
            return _fail(len(events) + 1, len(events), f"fila mal formada: {exc!r}")
    broken = _check_rows(events)
    if broken is not None:
        return broken
    return _check_anchor(events)


def _check_rows(events: list[dict[str, Any]]) -> VerifyResult | None:
    prev: dict[str, Any] | None = None
    for i, e in enumerate(events):
        seq = e["seq"]
        if prev is not None and seq <= prev["seq"]:
            return _fail(seq, i, f"número de evento fuera de orden (después del {prev['seq']})")
        if seq == 1 and e["prev_hash"] != GENESIS_HASH:
            return _fail(seq, i, "el evento 1 no parte del hash inicial (64 ceros)")
        if prev is not None and seq == prev["seq"] + 1 and e["prev_hash"] != prev["hash"]:
            return _fail(seq, i, f"su prev_hash no es el hash del evento {prev['seq']}")
        if event_hash(e["prev_hash"], e) != e["hash"]:
            return _fail(seq, i, "su contenido no corresponde a su hash (evento alterado)")
        prev = e
    return None


def _check_anchor(events: list[dict[str, Any]]) -> VerifyResult:
    if not events:
        return _fail(0, 0, "la exportación no contiene eventos")
    contiguous = all(b["seq"] == a["seq"] + 1 for a, b in itertools.pairwise(events))
    if contiguous and events[0]["seq"] == 1:
        return VerifyResult(ok=True, checked=len(events))
    anchor = events[-1]
    if anchor["kind"] != ANCHOR_KIND:
        return _fail(
            anchor["seq"], len(events) - 1, "falta el evento de exportación (ancla) al final"
        )
    data = json.loads(anchor["data"])
    selected = events[:-1]
    if data.get("count") != len(selected) or data.get("digest") != digest(selected):
        return _fail(
            anchor["seq"],
            len(events) - 1,
            "las filas no son las que registró la exportación (filas quitadas o añadidas)",
        )
    return VerifyResult(ok=True, checked=len(events))


def anchor_hash(rows: Sequence[Mapping[str, Any]]) -> str | None:
    if rows and rows[-1].get("kind") == ANCHOR_KIND:
        return str(rows[-1]["hash"])
    return None
