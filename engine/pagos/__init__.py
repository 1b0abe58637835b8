"""Liquidation and transfer of the incentive (Title V, process 11) and the service for its
withdrawal (process 12): cierre del padrón, liquidation by a decision table read at run time,
payment-order and response files exchanged with the Entidad Pagadora, reconciliation to the
céntimo, and puntos de pago. Entry module: import from here.

Money is integer céntimos. A hogar is never paid twice for one period: the unique index
(hogar, periodo) of the ``pagos_linea`` not rejected by the Entidad Pagadora, steps
idempotent per period, and ``pagos.*`` operations idempotent by their service call's key.
"""

from engine.pagos import operaciones  # noqa: F401  (registers the pagos.* operations)
from engine.pagos.adaptador import EntidadPagadora, Procesado
from engine.pagos.archivos import ArchivoRechazado
from engine.pagos.conciliacion import conciliar, informe, soles
from engine.pagos.liquidacion import cerrar_padron, liquidacion_of, liquidar
from engine.pagos.models import (
    Abono,
    Cierre,
    Incidencia,
    Linea,
    Liquidacion,
    PuntoPago,
    SolicitudCuenta,
)
from engine.pagos.orden import generar_orden, pagos_dir
from engine.pagos.reglas import anteriores, load_rules
from engine.pagos.respuesta import registrar_respuesta

__all__ = [
    "Abono",
    "ArchivoRechazado",
    "Cierre",
    "EntidadPagadora",
    "Incidencia",
    "Linea",
    "Liquidacion",
    "Procesado",
    "PuntoPago",
    "SolicitudCuenta",
    "anteriores",
    "cerrar_padron",
    "conciliar",
    "generar_orden",
    "informe",
    "liquidacion_of",
    "liquidar",
    "load_rules",
    "pagos_dir",
    "registrar_respuesta",
    "soles",
]
