"""The adapter between the Programa and its Entidad Pagadora (Banco de la Nación).

The Programa writes a payment-order file and, later, receives a response file (both in
``engine.pagos.archivos``' format). ``EntidadPagadora`` is all pagos needs from the other
side; ``engine.entidad_pagadora`` is a simulator that implements it, and a real connector
(SFTP upload and polling, say) would implement the same method.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Procesado:
    """What the Entidad Pagadora did with an order: its response file and its figures."""

    respuesta: Path
    lineas: int
    abonados: int
    abonado_centimos: int
    rechazados: int
    rechazado_centimos: int


class EntidadPagadora(Protocol):
    def procesar(self, orden: Path, salida: Path) -> Procesado:
        """Takes an order file (refusing it whole if it is truncated or does not add up)
        and produces the response file ``salida``."""
        ...
