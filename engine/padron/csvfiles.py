"""Reading the CSV files other entities send (SISFOH, RENIEC, …), streaming.

Pass 1 (``inspect_file``) reads the bytes once: sha256, encoding (UTF-8 with or without BOM,
else Latin-1 read as Windows-1252, its superset for printable text) and the structural
checks that need the whole file (NUL bytes, a UTF-8 character cut at the end). Pass 2
(``read_rows``) decodes, finds the delimiter (comma or semicolon) in the header, checks the
columns, and yields rows of a fixed width; a ragged row or a broken quote stops it.

A structural problem refuses the whole file (``StructuralError``); a bad value is a
``RowError`` the caller collects.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import TextIO

from engine.errors import DomainError

CHUNK = 1 << 20
MAX_REPORTED = 10_000


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}, línea {self.line}" if self.line else self.file
        return (
            f"{where}, {self.column}: {self.reason}" if self.column else f"{where}: {self.reason}"
        )


class ImportRejected(DomainError):
    """The import was refused and nothing was written. ``errors`` lists what was wrong (at
    most ``MAX_REPORTED``; ``total`` counts them all)."""

    def __init__(self, summary: str, errors: Sequence[RowError], total: int) -> None:
        super().__init__(summary)
        self.errors = list(errors)
        self.total = total


class StructuralError(ImportRejected):
    """The file cannot be read as the expected CSV: missing column, unknown encoding,
    truncated or ragged. Refused whole."""

    def __init__(self, file: str, line: int, reason: str) -> None:
        error = RowError(file, line, "", reason)
        super().__init__(f"archivo rechazado: {error}", [error], 1)


@dataclass
class ErrorLog:
    """Collects row errors, keeping the first ``MAX_REPORTED`` and counting them all."""

    errors: list[RowError] = field(default_factory=list)
    total: int = 0

    def add(self, file: str, line: int, column: str, reason: str) -> None:
        self.total += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(RowError(file, line, column, reason))

    @property
    def room(self) -> int:
        return max(MAX_REPORTED - len(self.errors), 0)


@dataclass(frozen=True)
class SourceFile:
    path: Path
    name: str
    sha256: str
    encoding: str
    size: int
    lines: int = 0  # newlines in the file: the header and the rows, give or take a blank

    @property
    def label(self) -> str:
        return {"utf-8-sig": "UTF-8 con BOM", "utf-8": "UTF-8", "cp1252": "Latin-1"}[self.encoding]


def _line_at(lines_before: int, chunk: bytes, offset: int) -> int:
    return lines_before + chunk[:offset].count(b"\n") + 1


def _check_start(name: str, chunk: bytes) -> None:
    if chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise StructuralError(name, 0, "codificación no admitida (UTF-16); use UTF-8 o Latin-1")


@dataclass
class _Scan:
    """State of pass 1 over one file."""

    name: str
    digest: hashlib._Hash = field(default_factory=hashlib.sha256)
    utf8: codecs.IncrementalDecoder = field(
        default_factory=lambda: codecs.getincrementaldecoder("utf-8")()
    )
    utf8_error: int = 0  # line of the first invalid UTF-8 sequence, 0 if none
    latin_error: int = 0  # line of the first byte Windows-1252 leaves undefined
    lines: int = 0
    size: int = 0

    def feed(self, chunk: bytes) -> None:
        self.digest.update(chunk)
        self.size += len(chunk)
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise StructuralError(
                self.name,
                _line_at(self.lines, chunk, nul),
                "contiene bytes nulos: no es un CSV de texto (¿UTF-16 o binario?)",
            )
        if not self.utf8_error:
            try:
                self.utf8.decode(chunk)
            except UnicodeDecodeError as exc:
                self.utf8_error = _line_at(self.lines, chunk, exc.start)
        if not self.latin_error:
            try:
                chunk.decode("cp1252")
            except UnicodeDecodeError as exc:
                self.latin_error = _line_at(self.lines, chunk, exc.start)
        self.lines += chunk.count(b"\n")

    def encoding(self, bom: bool) -> str:
        if not self.utf8_error:
            try:
                self.utf8.decode(b"", final=True)
            except UnicodeDecodeError:
                raise StructuralError(
                    self.name, self.lines + 1, "archivo truncado: termina a mitad de un carácter"
                ) from None
            return "utf-8-sig" if bom else "utf-8"
        if bom or self.latin_error:
            raise StructuralError(
                self.name,
                self.utf8_error,
                "codificación desconocida: no es UTF-8 válido ni Latin-1"
                + (
                    f" (byte indefinido en la línea {self.latin_error})" if self.latin_error else ""
                ),
            )
        return "cp1252"


def inspect_file(path: Path, name: str | None = None) -> SourceFile:
    """Pass 1: sha256 and encoding, refusing what no encoding we accept can read."""
    name = name or path.name
    scan = _Scan(name)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise StructuralError(name, 0, f"no se puede abrir: {exc.strerror}") from None
    with handle:
        first = handle.read(CHUNK)
        if not first:
            raise StructuralError(name, 0, "el archivo está vacío (se requiere la cabecera)")
        _check_start(name, first)
        chunk = first
        while chunk:
            scan.feed(chunk)
            chunk = handle.read(CHUNK)
    encoding = scan.encoding(first.startswith(codecs.BOM_UTF8))
    return SourceFile(path, name, scan.digest.hexdigest(), encoding, scan.size, scan.lines)


@dataclass(frozen=True)
class Header:
    delimiter: str
    columns: tuple[str, ...]  # as in the file, normalised
    present_optional: tuple[str, ...]


def header_of(
    src: SourceFile, line: str, required: Sequence[str], optional: Sequence[str]
) -> Header:
    """The header line checked: delimiter (comma or semicolon), columns, optional ones present."""
    delimiter = ";" if line.count(";") > line.count(",") else ","
    columns = tuple(c.strip().lower() for c in next(csv.reader([line], delimiter=delimiter)))
    missing = [c for c in required if c not in columns]
    if missing:
        raise StructuralError(
            src.name,
            1,
            f"falta la columna {', '.join(missing)} en la cabecera (¿falta la cabecera?)",
        )
    unknown = [c for c in columns if c not in required and c not in optional]
    if unknown:
        raise StructuralError(src.name, 1, f"columna no reconocida en la cabecera: {unknown[0]}")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        raise StructuralError(src.name, 1, f"columna repetida en la cabecera: {repeated[0]}")
    return Header(delimiter, columns, tuple(c for c in optional if c in columns))


def read_rows(
    src: SourceFile, required: Sequence[str], optional: Sequence[str] = ()
) -> tuple[Header, Iterator[tuple[int, tuple[str, ...]]]]:
    """Pass 2: the header, and the rows as (line, values in ``required`` + present optional
    order). Blank lines are skipped."""
    header, reader, handle = open_rows(src, required, optional)
    wanted = [*required, *header.present_optional]
    pick = itemgetter(*[header.columns.index(c) for c in wanted])
    return header, _rows(src, handle, reader, header, pick)


def open_rows(
    src: SourceFile, required: Sequence[str], optional: Sequence[str] = ()
) -> tuple[Header, Iterator[list[str]], TextIO]:
    """The checked header, a csv reader over the rows after it (its ``line_num`` + 1 is the
    line of the row just read) and the open file, which the caller closes."""
    handle = src.path.open(encoding=src.encoding, newline="")
    try:
        header = header_of(src, handle.readline(), required, optional)
    except BaseException:
        handle.close()
        raise
    return header, csv.reader(handle, delimiter=header.delimiter, strict=True), handle


def _rows(
    src: SourceFile,
    handle: TextIO,
    reader,  # type: ignore[no-untyped-def]
    header: Header,
    pick: itemgetter,  # type: ignore[type-arg]
) -> Iterator[tuple[int, tuple[str, ...]]]:
    with handle:
        for line, row in numbered_rows(src, reader, len(header.columns)):
            yield line, pick(row)


def numbered_rows(
    src: SourceFile,
    reader,  # type: ignore[no-untyped-def]
    width: int,
) -> Iterator[tuple[int, list[str]]]:
    """Each row with its line, blank lines skipped; a ragged row or a broken quote refuses
    the file (``StructuralError``)."""
    try:
        for row in reader:
            if len(row) != width:
                if not row or row == [""]:
                    continue
                raise StructuralError(src.name, reader.line_num + 1, ragged_reason(len(row), width))
            yield reader.line_num + 1, row
    except csv.Error as exc:
        raise malformed(src, reader.line_num + 1, exc) from None


def malformed(src: SourceFile, line: int, exc: csv.Error) -> StructuralError:
    return StructuralError(
        src.name, line, f"CSV mal formado (comillas sin cerrar o archivo truncado): {exc}"
    )


def ragged_reason(found: int, width: int) -> str:
    if found < width:
        return f"tiene {found} campos y se esperaban {width} (fila incompleta o archivo truncado)"
    return (
        f"tiene {found} campos y se esperaban {width} (¿separador dentro de un campo sin comillas?)"
    )
