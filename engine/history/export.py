"""Evidence export of an instance or a filtered set: the audit events of those instances,
then the anchor event this export writes into the chain (``engine.audit.evidence``), as
CSV or as a PDF for people that carries the same CSV inside."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fpdf import FPDF
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.audit import evidence
from engine.audit.models import AuditEvent
from engine.history.access import require_history_reader
from engine.runtime.actors import Actor

MAX_EVENTS = 50_000


@dataclass(frozen=True)
class Evidence:
    title: str
    rows: list[dict[str, Any]]  # the selected events, then the anchor
    chain: audit.VerifyResult  # the live chain's state when exported

    @property
    def anchor(self) -> dict[str, Any]:
        return self.rows[-1]


def export(
    session: Session, actor: Actor, instance_ids: list[int], title: str, filters: dict[str, str]
) -> Evidence:
    """Selects the events and records the anchor (the caller commits it)."""
    require_history_reader(actor)
    events = (
        list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.instance_id.in_(instance_ids))
                .order_by(AuditEvent.seq)
                .limit(MAX_EVENTS)
            )
        )
        if instance_ids
        else []
    )
    rows = [e.to_export() for e in events]
    chain = audit.verify(session)
    anchor = audit.record(
        session,
        evidence.ANCHOR_KIND,
        actor_user_id=actor.user_id,
        actor_position_id=actor.positions[0].id if actor.positions else None,
        data={
            "title": title,
            "filters": filters,
            "instances": instance_ids[:1000],
            "count": len(rows),
            "digest": evidence.digest(rows),
            "chain_ok": chain.ok,
        },
    )
    session.flush()
    return Evidence(title, [*rows, anchor.to_export()], chain)


def to_csv(ev: Evidence) -> bytes:
    return evidence.to_csv(ev.rows)


def _latin(text: Any) -> str:
    return str(text).encode("latin-1", "replace").decode("latin-1")


def to_pdf(ev: Evidence) -> bytes:
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_title(_latin(ev.title))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 8, _latin(f"Evidencia: {ev.title}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    state = (
        "íntegra"
        if ev.chain.ok
        else f"ROTA en el evento {ev.chain.first_bad_seq}: {ev.chain.reason}"
    )
    for line in (
        f"Estado de la cadena al exportar: {state}",
        f"Eventos: {len(ev.rows) - 1}; evento de exportación (ancla): N° {ev.anchor['seq']}",
        f"Hash del ancla: {ev.anchor['hash']}",
        "Verificación sin conexión: juntos audit verify --export ESTE_ARCHIVO.pdf "
        f"(lee el adjunto {evidence.ATTACHMENT}).",
    ):
        pdf.multi_cell(0, 5, _latin(line), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    widths = (14, 38, 40, 16, 16, 40, 24, 89)
    pdf.set_font("Helvetica", "B", 8)
    for w, head in zip(
        widths,
        ("N°", "Fecha (UTC)", "Evento", "Usuario", "Cargo", "Elemento", "Hogar", "Hash"),
        strict=True,
    ):
        pdf.cell(w, 6, _latin(head), border=1)
    pdf.ln()
    pdf.set_font("Helvetica", size=7)
    for r in ev.rows:
        values = (
            r["seq"],
            r["recorded_at"],
            r["kind"],
            r["actor_user_id"] or "",
            r["actor_position_id"] or "",
            r["element_id"] or "",
            r["household"] or "",
            r["hash"],
        )
        for w, value in zip(widths, values, strict=True):
            pdf.cell(w, 5, _latin(value)[:64], border=1)
        pdf.ln()
    pdf.embed_file(
        bytes=to_csv(ev),
        basename=evidence.ATTACHMENT,
        mime_type="text/csv",
        desc="Eventos con sus hashes",
    )
    return bytes(pdf.output())
