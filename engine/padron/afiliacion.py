"""Afiliación (Title V, process 7) from the relación of one centro poblado: the ACV's list,
its results per hogar, the solicitantes it admits, the formalización (legajo, IE and EESS of
each miembro objetivo) and the padrón de nuevos hogares afiliados.

The work per hogar is bounded by one centro poblado; state changes go through
``change_state`` with a select (set-based) and carry the instance and element.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Boolean, Integer, String, and_, func, insert, literal, select, text, update
from sqlalchemy.orm import Session

from engine.db import utcnow
from engine.errors import ValidationError
from engine.padron.geography import districts
from engine.padron.kinds import ESCOLAR, kind_expr, member_kind
from engine.padron.models import Hogar, HogarEstadoHistorial, Miembro
from engine.padron.records import Acv, AcvHogar, Legajo
from engine.padron.states import HISTORY_COLUMNS, change_state

CAUSA_NO_CUMPLE = "ACV (proceso 07, 7.3): no cumple los criterios categóricos del Programa"
CAUSA_ESPERA = (
    "ACV (proceso 07, 7.3): solicitante fuera de la relación del SISFOH que cumple los criterios "
    "categóricos; a la espera de la clasificación socioeconómica del SISFOH"
)
CAUSA_AFILIADO = (
    "Formalización de la afiliación (proceso 07, 7.4): copia del DNI, declaración jurada, "
    "acuerdo de compromiso, IE y EESS de los miembros objetivo"
)
ShownErrors = list[dict[str, str]]
# the task attachments (engine.taskwork) are read by SQL: the padrón does not import the runtime
ATTACHMENT_INSTANCE = text("SELECT instance_id FROM attachment WHERE id = :id")


def relacion_acv(
    session: Session, instance_id: int, ut_unit_id: int | None, ubigeo: str, centro_poblado: str
) -> Acv:
    """Opens the ACV of a centro poblado with the hogares validados there (set-based)."""
    district = districts().get(ubigeo)
    if district is None or district.ut_code is None:
        raise ValidationError("ubigeo", f"'{ubigeo}' no es un distrito del ámbito de una UT")
    in_place = and_(Hogar.ubigeo == ubigeo, Hogar.centro_poblado == centro_poblado.strip())
    place_ut = session.scalar(select(Hogar.ut_unit_id).where(in_place).limit(1))
    if place_ut is None:
        raise ValidationError("centro_poblado", "el padrón no tiene hogares en ese centro poblado")
    if ut_unit_id is not None and place_ut != ut_unit_id:
        raise ValidationError("ubigeo", "el centro poblado no es del ámbito de la UT de la ACV")
    acv = Acv(
        instance_id=instance_id,
        ut_unit_id=place_ut,
        ubigeo=ubigeo,
        centro_poblado=centro_poblado.strip(),
    )
    session.add(acv)
    session.flush()
    rows = select(Hogar.id, literal(acv.id, Integer), literal(True, Boolean), literal("pendiente"))
    session.execute(
        insert(AcvHogar).from_select(
            ["hogar_id", "acv_id", "en_relacion", "resultado"],
            rows.where(in_place, Hogar.estado == "validado"),
        )
    )
    return acv


def acv_hogares(session: Session, acv_id: int, limit: int = 1000) -> list[dict[str, Any]]:
    query = (
        select(Hogar.co_hogar, Hogar.titular_nombres, Hogar.titular_ap_paterno, AcvHogar.resultado)
        .join(AcvHogar, AcvHogar.hogar_id == Hogar.id)
        .where(AcvHogar.acv_id == acv_id)
        .order_by(Hogar.co_hogar)
        .limit(limit)
    )
    return [
        {"co_hogar": co, "titular": f"{n} {p}", "resultado": r}
        for co, n, p, r in session.execute(query)
    ]


def _codes_in_acv(session: Session, acv_id: int) -> dict[str, tuple[int, bool, str]]:
    query = (
        select(Hogar.co_hogar, Hogar.id, AcvHogar.en_relacion, AcvHogar.resultado)
        .join(AcvHogar, AcvHogar.hogar_id == Hogar.id)
        .where(AcvHogar.acv_id == acv_id)
    )
    return {co: (hid, rel, res) for co, hid, rel, res in session.execute(query)}


def registrar_acv(
    session: Session,
    acv: Acv,
    *,
    fecha: date,
    acta: str,
    resultados: list[dict[str, Any]],
    solicitantes: list[dict[str, Any]],
    element_id: str,
) -> dict[str, Any]:
    """Records the ACV's result per hogar and admits solicitantes; returns the counts, or
    ``aceptado: False`` with the errors (nothing written)."""
    known = _codes_in_acv(session, acv.id)
    errors = _result_errors(resultados, known) + _solicitante_errors(session, solicitantes)
    if errors:
        return {"aceptado": False, "errores": errors}
    acv.fecha, acv.acta = fecha, acta
    for r in resultados:
        session.execute(
            update(AcvHogar)
            .where(AcvHogar.acv_id == acv.id, AcvHogar.hogar_id == known[r["co_hogar"]][0])
            .values(resultado="cumple" if r["cumple"] else "no_cumple", motivo=r.get("motivo"))
        )
    descartados = select(AcvHogar.hogar_id).where(
        AcvHogar.acv_id == acv.id, AcvHogar.resultado == "no_cumple"
    )
    change = change_state(
        session,
        descartados,
        "potencial",
        CAUSA_NO_CUMPLE,
        instance_id=acv.instance_id,
        element_id=element_id,
    )
    admitted = [s for s in solicitantes if s["cumple"]]
    for s in admitted:
        _admit_solicitante(session, acv, s, fecha)
    espera = select(AcvHogar.hogar_id).where(
        AcvHogar.acv_id == acv.id, AcvHogar.en_relacion.is_(False)
    )
    change_state(
        session,
        espera,
        "en_espera_clasificacion",
        CAUSA_ESPERA,
        instance_id=acv.instance_id,
        element_id=element_id,
    )
    counts = dict(
        session.execute(
            select(AcvHogar.resultado, func.count())
            .where(AcvHogar.acv_id == acv.id, AcvHogar.en_relacion.is_(True))
            .group_by(AcvHogar.resultado)
        ).all()
    )
    return {
        "aceptado": True,
        "errores": [],
        "validados_acv": counts.get("cumple", 0),
        "descartados": change.changed,
        "sin_resultado": counts.get("pendiente", 0),
        "en_espera_clasificacion": len(admitted),
        "solicitantes_no_admitidos": len(solicitantes) - len(admitted),
    }


def _result_errors(
    resultados: list[dict[str, Any]], known: dict[str, tuple[int, bool, str]]
) -> ShownErrors:
    errors: ShownErrors = []
    seen: set[str] = set()
    for n, r in enumerate(resultados, start=1):
        co = r["co_hogar"]
        if co in seen:
            errors.append({"fila": str(n), "co_hogar": co, "motivo": "hogar repetido"})
        elif co not in known or not known[co][1]:
            errors.append(
                {"fila": str(n), "co_hogar": co, "motivo": "no está en la relación de esta ACV"}
            )
        seen.add(co)
    return errors


def _solicitante_errors(session: Session, solicitantes: list[dict[str, Any]]) -> ShownErrors:
    errors: ShownErrors = []
    dnis = [s["dni_titular"] for s in solicitantes if s["cumple"]]
    if len(set(dnis)) != len(dnis):
        errors.append({"fila": "", "co_hogar": "", "motivo": "un solicitante está repetido"})
    taken = dict(
        session.execute(
            select(Hogar.dni_titular, Hogar.estado).where(Hogar.dni_titular.in_(dnis))
        ).all()
    )
    for n, s in enumerate(solicitantes, start=1):
        estado = taken.get(s["dni_titular"])
        if s["cumple"] and estado is not None and estado != "potencial":
            errors.append(
                {
                    "fila": f"solicitante {n}",
                    "co_hogar": "",
                    "motivo": f"el titular ya tiene un hogar del padrón en estado '{estado}'",
                }
            )
    return errors


def _admit_solicitante(session: Session, acv: Acv, s: dict[str, Any], fecha: date) -> None:
    """A solicitante the ACV admits: its hogar (a potencial of the padrón, or a new one
    without a classification in force) joins the ACV, to wait for SISFOH."""
    hogar_id = session.scalar(select(Hogar.id).where(Hogar.dni_titular == s["dni_titular"]))
    if hogar_id is None:
        now = utcnow()
        hogar = Hogar(
            co_hogar=f"ACV{acv.id}-{s['dni_titular']}",
            ubigeo=acv.ubigeo,
            centro_poblado=acv.centro_poblado,
            ut_unit_id=acv.ut_unit_id,
            direccion=s.get("direccion", ""),
            dni_titular=s["dni_titular"],
            titular_ap_paterno=s["ap_paterno"],
            titular_ap_materno=s.get("ap_materno", ""),
            titular_nombres=s["nombres"],
            # no SISFOH classification yet: recorded as not in force the day before the ACV
            cse="NP",
            cse_vigencia_fin=fecha - timedelta(days=1),
            estado="potencial",
            created_at=now,
            updated_at=now,
        )
        session.add(hogar)
        session.flush()
        hogar_id = hogar.id
        session.execute(
            insert(HogarEstadoHistorial).from_select(
                HISTORY_COLUMNS,
                select(
                    literal(hogar_id, Integer),
                    literal(None, String),
                    literal("potencial"),
                    literal(now, HogarEstadoHistorial.fecha.type),
                    literal("Ingreso al padrón: solicitante presente en la ACV (proceso 07, 7.3)"),
                    literal(acv.instance_id, Integer),
                    literal(None, String),
                    literal(None, Integer),
                ),
            )
        )
    session.add(
        AcvHogar(
            acv_id=acv.id,
            hogar_id=hogar_id,
            en_relacion=False,
            resultado="cumple",
            motivo="solicitante admitido por la ACV",
        )
    )
    session.flush()


def formalizar(
    session: Session,
    acv: Acv,
    formalizaciones: list[dict[str, Any]],
    *,
    on: date,
    element_id: str,
) -> dict[str, Any]:
    """Formalizes the hogares that bring every document and the IE / EESS of each miembro
    objetivo: legajo, members' codes, state 'afiliado'. The others are returned with why."""
    known = _codes_in_acv(session, acv.id)
    accepted: list[int] = []
    rejected: ShownErrors = []
    for f in formalizaciones:
        why = _formalization_problem(session, acv, f, known)
        if why:
            rejected.append({"co_hogar": f["co_hogar"], "motivo": why})
            continue
        hogar_id = known[f["co_hogar"]][0]
        _keep_in_legajo(session, acv, hogar_id, f, element_id)
        _set_member_codes(session, hogar_id, f.get("miembros", []))
        accepted.append(hogar_id)
    if accepted:
        chosen = select(Hogar.id).where(Hogar.id.in_(accepted))
        change_state(
            session,
            chosen,
            "afiliado",
            CAUSA_AFILIADO,
            instance_id=acv.instance_id,
            element_id=element_id,
        )
        session.execute(
            update(AcvHogar)
            .where(AcvHogar.acv_id == acv.id, AcvHogar.hogar_id.in_(accepted))
            .values(formalizado=True)
        )
    pending = session.scalar(
        select(func.count()).where(
            AcvHogar.acv_id == acv.id,
            AcvHogar.en_relacion.is_(True),
            AcvHogar.resultado == "cumple",
            AcvHogar.formalizado.is_(False),
        )
    )
    return {"afiliados": len(accepted), "observados": rejected, "pendientes": pending or 0}


def _formalization_problem(
    session: Session, acv: Acv, f: dict[str, Any], known: dict[str, tuple[int, bool, str]]
) -> str | None:
    entry = known.get(f["co_hogar"])
    if entry is None or not entry[1] or entry[2] != "cumple":
        return "no es un hogar validado por esta ACV"
    missing = [
        label
        for key, label in (
            ("copia_dni", "copia del DNI"),
            ("declaracion_jurada", "declaración jurada firmada"),
            ("acuerdo_compromiso", "acuerdo de compromiso firmado"),
        )
        if not f.get(key)
    ]
    if missing:
        return "falta: " + ", ".join(missing)
    adjunto = f.get("adjunto_copia_dni")
    if adjunto is not None:
        owner = session.scalar(ATTACHMENT_INSTANCE, {"id": adjunto})
        if owner != acv.instance_id:
            return f"el adjunto {adjunto} no es de esta instancia"
    return _members_problem(session, entry[0], f.get("miembros", []), on=acv_day(acv))


def acv_day(acv: Acv) -> date:
    return acv.fecha or acv.created_at.date()


def _members_problem(
    session: Session, hogar_id: int, given: list[dict[str, Any]], on: date
) -> str | None:
    by_dni = {m["dni"]: m for m in given}
    members = session.execute(
        select(
            Miembro.dni,
            Miembro.fecha_nacimiento,
            Miembro.gestante,
            Miembro.codigo_modular_ie,
            Miembro.codigo_renipress,
        ).where(Miembro.hogar_id == hogar_id, Miembro.fecha_fallecimiento.is_(None))
    ).all()
    dnis = {m.dni for m in members}
    strangers = sorted(set(by_dni) - dnis)
    if strangers:
        return f"{len(strangers)} DNI no son miembros del hogar"
    objetivo = 0
    for m in members:
        kind = member_kind(m.fecha_nacimiento, m.gestante, on)
        if kind is None:
            continue
        objetivo += 1
        entry = by_dni.get(m.dni, {})
        if kind == ESCOLAR and not (entry.get("codigo_modular_ie") or m.codigo_modular_ie):
            return "un miembro objetivo en edad escolar no tiene institución educativa"
        if kind != ESCOLAR and not (entry.get("codigo_renipress") or m.codigo_renipress):
            return "un miembro objetivo no tiene establecimiento de salud"
    if not objetivo:
        return "el hogar no tiene miembros objetivo"
    return None


def _keep_in_legajo(
    session: Session, acv: Acv, hogar_id: int, f: dict[str, Any], element_id: str
) -> None:
    refs = {
        "copia_dni": "Copia del DNI del titular entregada en la formalización",
        "declaracion_jurada": "Declaración jurada firmada",
        "acuerdo_compromiso": "Acuerdo de compromiso firmado",
    }
    for tipo, label in refs.items():
        session.add(
            Legajo(
                hogar_id=hogar_id,
                tipo=tipo,
                attachment_id=f.get("adjunto_copia_dni") if tipo == "copia_dni" else None,
                referencia=f"{label} (ACV {acv.id}, {acv.centro_poblado})",
                instance_id=acv.instance_id,
                element_id=element_id,
            )
        )


def _set_member_codes(session: Session, hogar_id: int, given: list[dict[str, Any]]) -> None:
    for m in given:
        values = {k: m[k] for k in ("codigo_modular_ie", "codigo_renipress") if m.get(k)}
        if values:
            session.execute(
                update(Miembro)
                .where(Miembro.hogar_id == hogar_id, Miembro.dni == m["dni"])
                .values(**values, updated_at=utcnow())
            )


def nuevos_afiliados(session: Session, acv: Acv, on: date) -> dict[str, Any]:
    """The padrón de nuevos hogares afiliados of the ACV (the process's output)."""
    objetivo = (
        select(Miembro.hogar_id, func.count().label("n"))
        .where(kind_expr(on).is_not(None), Miembro.fecha_fallecimiento.is_(None))
        .group_by(Miembro.hogar_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Hogar.co_hogar,
            Hogar.dni_titular,
            Hogar.titular_nombres,
            Hogar.titular_ap_paterno,
            func.coalesce(objetivo.c.n, 0),
        )
        .join(AcvHogar, AcvHogar.hogar_id == Hogar.id)
        .outerjoin(objetivo, objetivo.c.hogar_id == Hogar.id)
        .where(AcvHogar.acv_id == acv.id, AcvHogar.formalizado.is_(True))
        .order_by(Hogar.co_hogar)
    ).all()
    return {
        "acv": acv.id,
        "ubigeo": acv.ubigeo,
        "centro_poblado": acv.centro_poblado,
        "total": len(rows),
        "hogares": [
            {"co_hogar": co, "dni_titular": dni, "titular": f"{n} {p}", "miembros_objetivo": k}
            for co, dni, n, p, k in rows
        ],
    }
