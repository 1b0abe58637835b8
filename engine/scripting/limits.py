"""The CPU and time limits of one sandboxed run.

Two limits, both undone in `finally` whatever happens:

- a budget of executed lines, counted with `sys.settrace` on the sandboxed frames only (their
  file name is `SANDBOX_FILENAME`) plus one tick per `while` iteration (see `guards`). It works
  in any thread. The tracer installed before (coverage, a debugger) is put back afterwards; it
  does not see inside the sandboxed frames meanwhile.
- a wall-clock alarm (`SIGALRM` via `setitimer`), only in the main thread and only when the
  current SIGALRM handler was installed from Python. An alarm already armed (pytest-timeout, a
  worker's own deadline) is honoured: ours fires no later than it would, and it is re-armed
  afterwards with the time it had left.

Either limit raises SandboxError inside the sandboxed code; there is no `try` there to catch
it, and once a limit is hit every later line and tick raises again.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from engine.scripting.checker import SandboxError

SANDBOX_FILENAME = "<string>"  # also what SpiffWorkflow looks for to name the failing line

TraceFunction = Callable[[FrameType, str, Any], Any]


@dataclass(frozen=True)
class Limits:
    max_lines: int = 100_000
    max_seconds: float = 2.0


class Budget:
    """Counts the lines the sandboxed code runs and stops it past the limit."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.left = limits.max_lines
        self.exceeded: str | None = None

    def tick(self) -> None:
        self.left -= 1
        if self.left < 0 and self.exceeded is None:
            self.exceeded = f"el script excedió el límite de {self.limits.max_lines} líneas"
        self.check()

    def expire(self) -> None:
        if self.exceeded is None:
            self.exceeded = f"el script excedió el límite de {self.limits.max_seconds:g} segundos"
        self.check()

    def check(self) -> None:
        if self.exceeded is not None:
            raise SandboxError(self.exceeded)

    def trace(self, frame: FrameType, event: str, arg: Any) -> TraceFunction | None:
        """The global tracer: follows only the sandboxed frames."""
        if frame.f_code.co_filename != SANDBOX_FILENAME:
            return None
        return self._trace_lines

    def _trace_lines(self, frame: FrameType, event: str, arg: Any) -> TraceFunction:
        if event == "line":
            self.tick()  # only here: raising on an 'exception' event would hide the line
        return self._trace_lines


class _Alarm:
    """SIGALRM after `seconds`, composed with whatever handler and timer were there."""

    def __init__(self, seconds: float, budget: Budget) -> None:
        self.seconds = seconds
        self.budget = budget
        self.active = False
        self.started = 0.0
        self.previous_handler: Any = None
        self.previous_timer = (0.0, 0.0)

    @staticmethod
    def usable(seconds: float) -> bool:
        return (
            seconds > 0
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGALRM) is not None
        )

    def start(self) -> None:
        self.previous_timer = signal.setitimer(signal.ITIMER_REAL, 0)  # read and disarm
        self.previous_handler = signal.signal(signal.SIGALRM, self._fire)
        remaining = self.previous_timer[0]
        delay = min(self.seconds, remaining) if remaining > 0 else self.seconds
        self.started = time.monotonic()
        self.active = True
        signal.setitimer(signal.ITIMER_REAL, delay)

    def stop(self) -> None:
        self.active = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.previous_handler)
        remaining, interval = self.previous_timer
        if remaining > 0:
            left = remaining - (time.monotonic() - self.started)
            signal.setitimer(signal.ITIMER_REAL, max(left, 0.001), interval)

    def _fire(self, signum: int, frame: FrameType | None) -> None:
        if self.active:
            self.budget.expire()


@contextmanager
def enforced(limits: Limits) -> Iterator[Budget]:
    """Runs the body under the limits; the body must run only sandboxed code."""
    budget = Budget(limits)
    alarm = _Alarm(limits.max_seconds, budget) if _Alarm.usable(limits.max_seconds) else None
    previous_trace = sys.gettrace()
    try:
        if alarm is not None:
            alarm.start()
        sys.settrace(budget.trace)
        yield budget
    finally:
        sys.settrace(previous_trace)
        if alarm is not None:
            alarm.stop()
    budget.check()  # in case C code swallowed the error the limit raised
