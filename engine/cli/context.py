"""What every command shares: settings, one Database, and how errors are reported."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property

import click
from sqlalchemy.orm import Session

from engine.config import Settings, load_settings
from engine.db import Database
from engine.errors import DomainError


class CliContext:
    @cached_property
    def settings(self) -> Settings:
        return load_settings()

    @cached_property
    def db(self) -> Database:
        return Database(self.settings.database_url)

    @contextmanager
    def transaction(self, write: bool = False) -> Iterator[Session]:
        """One unit of work; a DomainError rolls it back and exits 1 with its message."""
        begin = self.db.write_transaction if write else self.db.transaction
        try:
            with begin() as session:
                yield session
        except DomainError as exc:
            raise click.ClickException(str(exc)) from None


pass_ctx = click.make_pass_decorator(CliContext)
