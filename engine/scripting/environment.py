"""The SpiffWorkflow script environment that runs a diagram's code in the sandbox.

Every run: check (`checker`), rewrite (`guards`), compile — cached by source, since a diagram's
conditions run again and again — then run with `SAFE_BUILTINS` as the only builtins, under the
limits (`limits`) and the sandbox's decimal context.

The task data (and SpiffWorkflow's external context, read-only) is deep-copied into the
variables, so a script that fails leaves the task data as it was. Keys starting with `_`, or
that are not identifiers, are not copied in. After `execute`, the variables the script created
or changed are written back as JSON (`values`), all of them or none; the ones it deleted are
deleted. Never written back: names starting with `_`, functions and other callables (helpers
defined in the script), and names that came from the external context.
"""

from __future__ import annotations

import copy
import decimal
import traceback
from functools import lru_cache
from types import CodeType, TracebackType
from typing import Any

from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from engine.scripting.checker import SandboxError, parse_expression, parse_script
from engine.scripting.guards import DECIMAL_CONTEXT, HELPERS, SAFE_BUILTINS, TICK, rewrite
from engine.scripting.limits import SANDBOX_FILENAME, Limits, enforced
from engine.scripting.values import ensure_plain, to_data

Data = dict[str, Any]


class SandboxedEnvironment(BasePythonScriptEngineEnvironment):
    """Replaces SpiffWorkflow's `TaskDataEnvironment` (plain eval/exec, full builtins)."""

    def __init__(self, limits: Limits | None = None) -> None:
        super().__init__()
        self.limits = limits or Limits()

    def evaluate(self, expression: str, context: Data, external_context: Data | None = None) -> Any:
        """The value of `expression` over the task data; the data is not modified."""
        namespace, _ = _namespace(context, external_context)
        value = self._run(compile_expression(expression), namespace)
        ensure_plain(value)
        return value

    def execute(self, script: str, context: Data, external_context: Data | None = None) -> bool:
        """Runs `script` over the task data `context`, then writes its changes into it."""
        namespace, external = _namespace(context, external_context)
        self._run(compile_script(script), namespace)
        updates, deleted = _changes(namespace, context, external)
        for name in deleted:
            del context[name]
        context.update(updates)
        return True

    def call_service(self, context: Data, **kwargs: Any) -> Any:
        raise SandboxError("los scripts no pueden llamar servicios; use una tarea de servicio")

    def _run(self, code: CodeType, namespace: Data) -> Any:
        try:
            with decimal.localcontext(DECIMAL_CONTEXT), enforced(self.limits) as budget:
                namespace[TICK] = budget.tick
                return eval(code, namespace)  # an 'exec' code object runs too, returning None
        except SandboxError as err:
            err.locate(_script_line(err.__traceback__))
            raise


@lru_cache(maxsize=1024)
def compile_expression(source: str) -> CodeType:
    """Checked, guarded and compiled; raises SandboxError."""
    return compile(rewrite(parse_expression(source)), SANDBOX_FILENAME, "eval", dont_inherit=True)


@lru_cache(maxsize=1024)
def compile_script(source: str) -> CodeType:
    """Checked, guarded and compiled; raises SandboxError."""
    return compile(rewrite(parse_script(source)), SANDBOX_FILENAME, "exec", dont_inherit=True)


def _visible(name: object) -> bool:
    return isinstance(name, str) and name.isidentifier() and not name.startswith("_")


def _namespace(context: Data, external_context: Data | None) -> tuple[Data, set[str]]:
    """The variables of a run, and the names that came from the external context only."""
    data = {name: value for name, value in context.items() if _visible(name)}
    external = {
        name: value
        for name, value in (external_context or {}).items()
        if _visible(name) and name not in data
    }
    namespace = copy.deepcopy({**external, **data})
    namespace.update(HELPERS)
    namespace["__builtins__"] = dict(SAFE_BUILTINS)
    return namespace, set(external)


def _changes(namespace: Data, context: Data, external: set[str]) -> tuple[Data, list[str]]:
    updates = {}
    for name, value in namespace.items():
        if not _visible(name) or name in external or callable(value):
            continue
        if name in context and _unchanged(value, context[name]):
            continue
        updates[name] = to_data(name, value)
    deleted = [name for name in context if _visible(name) and name not in namespace]
    return updates, deleted


def _unchanged(value: object, original: object) -> bool:
    return value is original or (type(value) is type(original) and value == original)


def _script_line(tb: TracebackType | None) -> int | None:
    """The line of the innermost sandboxed frame the error went through."""
    lines = [
        line
        for frame, line in traceback.walk_tb(tb)
        if frame.f_code.co_filename == SANDBOX_FILENAME
    ]
    return lines[-1] if lines else None
