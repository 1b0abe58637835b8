"""The household card: one hogar with its place, titular, classification, members (and
their kind today), state and state history, and its abonos (abonado / no abonado per
liquidation: Manual V.2 8.3 iii). ``juntos padron show`` and the web app's card both print
this."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.clock import today
from engine.errors import NotFound
from engine.org.models import Unit
from engine.padron.kinds import member_kind
from engine.padron.models import Hogar, HogarEstadoHistorial, Miembro, Ubigeo


@dataclass
class HouseholdCard:
    hogar: Hogar
    ubigeo: Ubigeo
    unit: Unit
    miembros: list[Miembro]
    historial: list[HogarEstadoHistorial]
    on: date
    abonos: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        h = self.hogar
        return {
            "co_hogar": h.co_hogar,
            "estado": h.estado,
            "reincorporado": h.reincorporado,
            "unidad_territorial": {"codigo": self.unit.code, "nombre": self.unit.name},
            "ubigeo": h.ubigeo,
            "departamento": self.ubigeo.departamento,
            "provincia": self.ubigeo.provincia,
            "distrito": self.ubigeo.distrito,
            "centro_poblado": h.centro_poblado,
            "direccion": h.direccion,
            "titular": {
                "dni": h.dni_titular,
                "ap_paterno": h.titular_ap_paterno,
                "ap_materno": h.titular_ap_materno,
                "nombres": h.titular_nombres,
            },
            "cse": {
                "clasificacion": h.cse,
                "vigencia_fin": h.cse_vigencia_fin.isoformat(),
                "vigente": h.cse_vigencia_fin >= self.on,
            },
            "cuenta_entidad_pagadora": h.cuenta_ep,
            "miembros": [self._member(m) for m in self.miembros],
            "historial": [self._change(c) for c in self.historial],
            "abonos": self.abonos,
        }

    def _member(self, m: Miembro) -> dict[str, Any]:
        return {
            "dni": m.dni,
            "ap_paterno": m.ap_paterno,
            "ap_materno": m.ap_materno,
            "nombres": m.nombres,
            "fecha_nacimiento": m.fecha_nacimiento.isoformat(),
            "sexo": m.sexo,
            "gestante": m.gestante,
            "tipo": member_kind(m.fecha_nacimiento, m.gestante, self.on),
            "codigo_modular_ie": m.codigo_modular_ie,
            "codigo_renipress": m.codigo_renipress,
        }

    @staticmethod
    def _change(c: HogarEstadoHistorial) -> dict[str, Any]:
        return {
            "fecha": c.fecha.isoformat(),
            "de": c.estado_anterior,
            "a": c.estado_nuevo,
            "causa": c.causa,
            "instancia": c.instance_id,
            "elemento": c.element_id,
            "lote_importacion": c.import_batch_id,
        }

    def lines(self) -> list[str]:
        """The card as text for a terminal."""
        d = self.as_dict()
        t = d["titular"]
        out = [
            f"Hogar {d['co_hogar']} — estado: {d['estado']}"
            + (" (reincorporado)" if d["reincorporado"] else ""),
            f"  {d['unidad_territorial']['nombre']}; {d['departamento']} / {d['provincia']} / "
            f"{d['distrito']} ({d['ubigeo']}); centro poblado {d['centro_poblado']}",
            f"  dirección: {d['direccion'] or '—'}",
            f"  titular: {t['nombres']} {t['ap_paterno']} {t['ap_materno']} (DNI {t['dni']})",
            f"  CSE: {d['cse']['clasificacion']} vigente hasta {d['cse']['vigencia_fin']}"
            + ("" if d["cse"]["vigente"] else " (vencida)"),
            f"  cuenta en la Entidad Pagadora: {d['cuenta_entidad_pagadora'] or '—'}",
            f"  miembros ({len(d['miembros'])}):",
        ]
        out += [
            f"    {m['dni']} {m['nombres']} {m['ap_paterno']} {m['ap_materno']}, "
            f"{m['fecha_nacimiento']}, {m['sexo']}, {m['tipo'] or 'no objetivo'}"
            for m in d["miembros"]
        ]
        out.append("  historial de estados:")
        out += [
            f"    {c['fecha'][:19]} {c['de'] or '—'} → {c['a']}: {c['causa']}" + _origin(c)
            for c in d["historial"]
        ]
        out.append("  abonos:")
        out += [
            f"    {a['liquidacion']} ({a['periodos']}): S/ {a['monto_centimos'] // 100:,}."
            f"{a['monto_centimos'] % 100:02d} "
            f"{ABONO_SHOWN[a['estado']]}" + (f" ({a['motivo']})" if a["motivo"] else "")
            for a in d["abonos"]
        ] or ["    —"]
        return out


# The payment state the padrón shows (Manual V.2 8.3 iii: abonado / no abonado)
ABONO_SHOWN = {
    "ordenado": "ordenado, sin respuesta",
    "abonado": "abonado",
    "rechazado": "no abonado",
}


def _abonos(session: Session, hogar_id: int) -> list[dict[str, Any]]:
    """The hogar's payment lines, newest liquidation first."""
    # Imported here: the payments module is built on the padrón's models.
    from engine.pagos.models import Abono, Liquidacion

    rows = session.execute(
        select(Liquidacion.periodo, Abono)
        .join(Liquidacion, Liquidacion.id == Abono.liquidacion_id)
        .where(Abono.hogar_id == hogar_id)
        .order_by(Liquidacion.periodo.desc())
    )
    return [
        {
            "liquidacion": periodo,
            "periodos": abono.periodos,
            "monto_centimos": abono.monto_centimos,
            "estado": abono.estado,
            "motivo": abono.motivo,
        }
        for periodo, abono in rows
    ]


def _origin(change: dict[str, Any]) -> str:
    if change["instancia"] is not None:
        return f" [instancia {change['instancia']}, {change['elemento'] or '—'}]"
    if change["lote_importacion"] is not None:
        return f" [lote {change['lote_importacion']}]"
    return ""


def household_card(session: Session, co_hogar: str, on: date | None = None) -> HouseholdCard:
    """The card of ``co_hogar``; ``NotFound`` if the padrón has no such hogar."""
    row = session.execute(
        select(Hogar, Ubigeo, Unit)
        .join(Ubigeo, Ubigeo.ubigeo == Hogar.ubigeo)
        .join(Unit, Unit.id == Hogar.ut_unit_id)
        .where(Hogar.co_hogar == co_hogar.strip())
    ).one_or_none()
    if row is None:
        raise NotFound(f"el hogar {co_hogar.strip()[:30]} no está en el padrón")
    hogar, ubigeo, unit = row
    miembros = list(
        session.scalars(
            select(Miembro)
            .where(Miembro.hogar_id == hogar.id)
            .order_by(Miembro.fecha_nacimiento, Miembro.dni)
        )
    )
    historial = list(
        session.scalars(
            select(HogarEstadoHistorial)
            .where(HogarEstadoHistorial.hogar_id == hogar.id)
            .order_by(HogarEstadoHistorial.id)
        )
    )
    return HouseholdCard(
        hogar, ubigeo, unit, miembros, historial, on or today(), _abonos(session, hogar.id)
    )
