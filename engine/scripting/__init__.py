"""The sandbox for the Python in diagrams: gateway conditions, pre/post scripts, script tasks.

Entry module: import from here. `check_expression`/`check_script` are the static check (deploy
time); `make_script_engine()` is the SpiffWorkflow engine that runs diagrams (checks again, then
runs under limits). Both raise SandboxError, a DomainError with a message in Spanish.
"""

from engine.scripting.checker import SandboxError, check_expression, check_script
from engine.scripting.environment import SandboxedEnvironment
from engine.scripting.limits import Limits
from engine.scripting.script_engine import SandboxedScriptEngine, make_script_engine

__all__ = [
    "Limits",
    "SandboxError",
    "SandboxedEnvironment",
    "SandboxedScriptEngine",
    "check_expression",
    "check_script",
    "make_script_engine",
]
