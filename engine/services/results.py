"""Results of operations kept by the service call's idempotency key.

The worker already runs an operation and completes its service task in one transaction and
skips a call that is done, so a redelivery never applies an operation twice. Operations that
may also be reached again with the same key (a retried call whose completion failed after
the operation, the CLI, tests) keep their result here and a second run returns it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any

from sqlalchemy import JSON, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, UTCDateTime, utcnow
from engine.services.registry import OperationContext, OperationFunc

Result = dict[str, Any]


class OperationResult(Base):
    __tablename__ = "operation_result"

    idempotency_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    operation: Mapped[str] = mapped_column(String(100))
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    result: Mapped[Result] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def run_once(ctx: OperationContext, operation: str, run: Callable[[], Result]) -> Result:
    """``run()``'s result, run only the first time this call's idempotency key is seen."""
    done = ctx.session.get(OperationResult, ctx.idempotency_key)
    if done is not None:
        ctx.report_progress(1, 1)
        return done.result
    result = run()
    ctx.session.add(
        OperationResult(
            idempotency_key=ctx.idempotency_key,
            operation=operation,
            instance_id=ctx.instance_id,
            result=result,
        )
    )
    ctx.session.flush()
    return result


def once_per_key(name: str, func: OperationFunc) -> OperationFunc:
    """``func`` run through ``run_once`` under the operation's registered ``name``."""

    @wraps(func)
    def run(ctx: OperationContext, params: Result) -> Result:
        return run_once(ctx, name, lambda: func(ctx, params))

    return run
