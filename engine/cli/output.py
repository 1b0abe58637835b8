"""Writes rows as CSV or JSON on standard output."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence

import click

FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)


def emit(header: Sequence[str], rows: Sequence[Sequence[object]], fmt: str) -> None:
    if fmt == "json":
        records = [dict(zip(header, row, strict=True)) for row in rows]
        click.echo(json.dumps(records, ensure_ascii=False, indent=2, default=str))
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
