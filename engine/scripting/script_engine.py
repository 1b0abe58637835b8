"""The SpiffWorkflow script engine on the sandbox.

SpiffWorkflow's `PythonScriptEngine.evaluate/execute` wrap any error in a
`WorkflowTaskException` whose message is the error's class and text, keeping the original only
as its implicit `__context__`. A SandboxError is not a slip in the diagram's logic but a
refusal the caller must recognise, so this engine lets it through as itself, with `.task` set
to the SpiffWorkflow task it happened in (as `WorkflowTaskException.task`) and `.line` to the
line of the script. Other errors (a NameError, a division by zero) keep SpiffWorkflow's
wrapping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_engine import PythonScriptEngine

from engine.scripting.checker import SandboxError, check_expression
from engine.scripting.environment import SandboxedEnvironment
from engine.scripting.limits import Limits


class SandboxedScriptEngine(PythonScriptEngine):
    def __init__(self, environment: SandboxedEnvironment | None = None) -> None:
        super().__init__(environment=environment or SandboxedEnvironment())

    def validate(self, expression: str) -> None:
        check_expression(expression)

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        with _sandbox_errors_as_themselves(task):
            return super().evaluate(task, expression, external_context)

    def execute(self, task: Any, script: str, external_context: Any = None) -> Any:
        with _sandbox_errors_as_themselves(task):
            return super().execute(task, script, external_context)

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        # not super(): SpiffWorkflow's own version fails with a NameError on any error
        with _sandbox_errors_as_themselves(task):
            return self.environment.call_service(task.data, **kwargs)


@contextmanager
def _sandbox_errors_as_themselves(task: Any) -> Iterator[None]:
    try:
        yield
    except SandboxError as err:
        err.task = task
        raise
    except WorkflowTaskException as exc:
        inner = exc.__context__
        if not isinstance(inner, SandboxError):
            raise
        inner.task = task
        inner.locate(exc.line_number)
        raise inner from None


def make_script_engine(limits: Limits | None = None) -> PythonScriptEngine:
    """A new engine for a BpmnWorkflow: `BpmnWorkflow(spec, script_engine=make_script_engine())`."""
    return SandboxedScriptEngine(SandboxedEnvironment(limits))
