"""The files exchanged with the Entidad Pagadora: a CSV with a header, one line per hogar,
and a trailer ``#FIN,<periodo>,<lineas>,<total_centimos>,<sha256>`` where the sha256 is of
every byte before the trailer. A file without its trailer (truncated), with another count,
total or digest, is refused whole: nothing of it is used.

Writers go through a temporary file renamed into place, so a crash never leaves half a file
under the final name, and the same data always gives the same bytes.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.errors import DomainError

ORDEN_COLUMNS = (
    "co_hogar",
    "dni_titular",
    "titular",
    "cuenta",
    "operacion",
    "monto_centimos",
    "periodos",
)
RESPUESTA_COLUMNS = ("co_hogar", "cuenta", "monto_centimos", "resultado", "motivo")
TRAILER = "#FIN"
CHUNK = 20_000


class ArchivoRechazado(DomainError):
    """A file that cannot be used; names the file and the line."""

    def __init__(self, path: Path | str, errors: Sequence[str], total: int | None = None) -> None:
        self.path = str(path)
        self.errors = list(errors)
        self.total = total if total is not None else len(errors)
        more = f" (y {self.total - len(errors)} más)" if self.total > len(errors) else ""
        super().__init__(f"{Path(path).name}: " + "; ".join(self.errors[:5]) + more)


@dataclass(frozen=True)
class Trailer:
    periodo: str
    lineas: int
    total_centimos: int
    sha256: str


def write(
    path: Path, columns: Sequence[str], periodo: str, rows: Iterable[Sequence[object]], amount: int
) -> Trailer:
    """Writes header, rows and trailer; ``amount`` is the index of the column summed in the
    trailer (only for rows whose ``sum_if`` is true: see ``write_rows``)."""
    return write_rows(path, columns, periodo, ((r, True) for r in rows), amount)


def write_rows(
    path: Path,
    columns: Sequence[str],
    periodo: str,
    rows: Iterable[tuple[Sequence[object], bool]],
    amount: int,
) -> Trailer:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    digest, count, total = hashlib.sha256(), 0, 0
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    with tmp.open("wb") as out:

        def flush() -> None:
            data = buffer.getvalue().encode("utf-8")
            digest.update(data)
            out.write(data)
            buffer.seek(0)
            buffer.truncate()

        writer.writerow(columns)
        for row, counted in rows:
            writer.writerow(row)
            count += 1
            if counted:
                total += int(row[amount])  # type: ignore[call-overload]
            if count % CHUNK == 0:
                flush()
        flush()
        trailer = Trailer(periodo, count, total, digest.hexdigest())
        out.write(f"{TRAILER},{periodo},{count},{total},{trailer.sha256}\n".encode())
        out.flush()
        os.fsync(out.fileno())
    tmp.replace(path)
    return trailer


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _trailer_of(path: Path) -> tuple[int, Trailer]:
    """The trailer (last line) and the byte offset where it starts; refuses a file without."""
    size = path.stat().st_size
    with path.open("rb") as f:
        f.seek(max(0, size - 512))
        tail = f.read()
    if not tail.endswith(b"\n"):
        raise ArchivoRechazado(path, ["el archivo está truncado: no termina en fin de línea"])
    last = tail[:-1].rsplit(b"\n", 1)[-1]
    if not last.startswith(TRAILER.encode() + b","):
        raise ArchivoRechazado(
            path, [f"el archivo está truncado: falta la línea final '{TRAILER},…'"]
        )
    parts = last.decode("ascii", "replace").split(",")
    if len(parts) != 5 or not parts[2].isdigit() or not parts[3].lstrip("-").isdigit():
        raise ArchivoRechazado(path, [f"línea final mal formada: {last[:120]!r}"])
    trailer = Trailer(parts[1], int(parts[2]), int(parts[3]), parts[4])
    return size - len(last) - 1, trailer


@dataclass
class Reader:
    """Reads a file after checking its trailer's digest; yields (line number, row)."""

    path: Path
    columns: Sequence[str]
    periodo: str | None = None

    def open(self) -> Trailer:
        if not self.path.is_file():
            raise ArchivoRechazado(self.path, ["no existe el archivo"])
        self.body_size, trailer = _trailer_of(self.path)
        digest = hashlib.sha256()
        with self.path.open("rb") as f:
            remaining = self.body_size
            while remaining:
                block = f.read(min(remaining, 1 << 20))
                digest.update(block)
                remaining -= len(block)
        if digest.hexdigest() != trailer.sha256:
            raise ArchivoRechazado(
                self.path, ["el sha256 no coincide con la línea final: archivo alterado o truncado"]
            )
        if self.periodo and trailer.periodo != self.periodo:
            raise ArchivoRechazado(
                self.path, [f"es del período {trailer.periodo}, no de {self.periodo}"]
            )
        self.trailer = trailer
        return trailer

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        with self.path.open("rb") as raw:
            body = io.TextIOWrapper(
                io.BufferedReader(_Limited(raw, self.body_size)), encoding="utf-8", newline=""
            )
            reader = csv.reader(body)
            header = next(reader, None)
            if header is None or tuple(header) != tuple(self.columns):
                raise ArchivoRechazado(
                    self.path, [f"línea 1: la cabecera debe ser {','.join(self.columns)}"]
                )
            for row in reader:
                yield reader.line_num, row


class _Limited(io.RawIOBase):
    """The first ``limit`` bytes of a binary file (the body, without the trailer)."""

    def __init__(self, raw: io.BufferedReader, limit: int) -> None:
        self.raw, self.left = raw, limit

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        if self.left <= 0:
            return 0
        data = self.raw.read(min(len(b), self.left))
        b[: len(data)] = data
        self.left -= len(data)
        return len(data)
