"""A simulator of the Entidad Pagadora, separate from the Programa's code: it only knows the
file format (``engine.pagos.archivos``) and the adapter interface (``engine.pagos.adaptador``).

It validates an order file as a bank would — trailer present (a truncated file is refused),
line count, total in céntimos and sha256, every line well formed — and answers every line:
abonado, or rechazado with a reason (cuenta cerrada, DNI no coincide). Which lines are
rejected depends only on the seed and the hogar, so the same order and seed always give the
same response. A line that opens an account gets a new account number.

    juntos entidad-pagadora procesar ORDEN.csv --salida RESPUESTA.csv [--seed S --rechazo 0.02]
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from engine.pagos import archivos
from engine.pagos.adaptador import EntidadPagadora, Procesado
from engine.pagos.archivos import ArchivoRechazado

__all__ = ["ArchivoRechazado", "EntidadPagadora", "Procesado", "SimuladorEntidadPagadora"]

OPERACIONES = ("abono", "apertura_abono")


def _line_problem(number: int, row: list[str]) -> str | None:
    if len(row) != len(archivos.ORDEN_COLUMNS):
        return f"línea {number}: {len(row)} columnas, se esperan {len(archivos.ORDEN_COLUMNS)}"
    co, dni, _titular, cuenta, operacion, monto, _periodos = row
    if not co or not (len(dni) == 8 and dni.isdigit()):
        return f"línea {number}: hogar o DNI inválido"
    if operacion not in OPERACIONES:
        return f"línea {number}: operación '{operacion}' desconocida"
    if operacion == "abono" and not cuenta:
        return f"línea {number}: abono sin cuenta"
    if not monto.isdigit() or int(monto) <= 0:
        return f"línea {number}: monto '{monto}' no es un entero positivo de céntimos"
    return None


@dataclass
class SimuladorEntidadPagadora:
    seed: int = 0
    rechazo: float = 0.02
    figures: dict[str, int] = field(default_factory=dict)

    def _draw(self, co_hogar: str) -> float:
        digest = hashlib.blake2b(f"{self.seed}:{co_hogar}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64

    def _answer(self, row: list[str]) -> tuple[Sequence[object], bool]:
        co, _dni, _titular, cuenta, operacion, monto, _periodos = row
        draw = self._draw(co)
        if operacion == "apertura_abono":
            cuenta = f"04-{co}"
        if draw < self.rechazo:
            closed = operacion == "abono" and draw < self.rechazo / 2
            motivo = "cuenta_cerrada" if closed else "dni_no_coincide"
            self.figures["rechazados"] += 1
            self.figures["rechazado_centimos"] += int(monto)
            return (co, cuenta, monto, "rechazado", motivo), False
        self.figures["abonados"] += 1
        self.figures["abonado_centimos"] += int(monto)
        return (co, cuenta, monto, "abonado", ""), True

    def _validated(self, reader: archivos.Reader) -> Iterator[list[str]]:
        """First pass: the whole order must be right before the bank answers a line."""
        lines = total = 0
        for number, row in reader.rows():
            problem = _line_problem(number, row)
            if problem:
                raise ArchivoRechazado(reader.path, [problem])
            lines += 1
            total += int(row[5])
        trailer = reader.trailer
        if lines != trailer.lineas or total != trailer.total_centimos:
            raise ArchivoRechazado(
                reader.path,
                [
                    f"la línea final declara {trailer.lineas} líneas y {trailer.total_centimos} "
                    f"céntimos; el archivo tiene {lines} y {total}"
                ],
            )
        for _number, row in reader.rows():
            yield row

    def procesar(self, orden: Path, salida: Path) -> Procesado:
        reader = archivos.Reader(Path(orden), archivos.ORDEN_COLUMNS)
        trailer = reader.open()
        self.figures = dict.fromkeys(
            ("abonados", "abonado_centimos", "rechazados", "rechazado_centimos"), 0
        )
        rows = (self._answer(row) for row in self._validated(reader))
        written = archivos.write_rows(
            Path(salida), archivos.RESPUESTA_COLUMNS, trailer.periodo, rows, amount=2
        )
        return Procesado(respuesta=Path(salida), lineas=written.lineas, **self.figures)
