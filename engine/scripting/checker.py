"""The static check of the Python in a diagram (conditions, pre/post scripts, script tasks).

Diagrams are edited by process owners in a browser, so their code is untrusted. The check runs
at deploy time and again before every run; it refuses, naming the line:

- `import`, `from … import`, `global`, `nonlocal`, `class`, `async`/`await`, `yield`, `with`,
  `match`, `try` and `raise`. `try` is refused because a bare `except:` would swallow the
  sandbox's own limit errors; `with` and `match` can reach special methods and attributes;
  `raise` has no exception class to raise (none is a builtin here).
- any name, parameter, keyword argument or attribute starting with `_` (`__class__`,
  `__globals__`, `__builtins__`, `_private`, …);
- the names of dangerous builtins (`DANGEROUS_NAMES`), even where they would only be assigned;
- the attributes `format` and `format_map` (a format string reads attributes:
  `'{0.__class__}'.format(x)`), `mro`, the padding methods that allocate an arbitrary size from
  one int (`ljust`, `rjust`, `center`, `zfill`, `expandtabs`, `to_bytes`), and the frame, code
  and traceback attributes of generators (`gi_*`, `cr_*`, `ag_*`, `f_*`, `tb_*`, `co_*`);
- in f-strings, a format spec computed at run time (`f'{x:{w}}'`) or with a number of more than
  three digits (`f'{x:>1000000000}'`). Specs such as `:.2f`, `:>10` and `:,` are fine: without
  classes, every value's `__format__` is a builtin one.

Everything else (functions, lambdas, comprehensions, f-strings, `assert`, `del`, the walrus) is
allowed. Sizes and time are limited at run time (see `guards` and `limits`).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from typing import Any

from engine.errors import DomainError

MAX_SOURCE_CHARS = 50_000

DANGEROUS_NAMES = frozenset(
    {
        "eval", "exec", "compile", "open", "__import__", "globals", "locals", "vars", "getattr",
        "setattr", "delattr", "hasattr", "input", "breakpoint", "help", "memoryview", "type",
        "object", "super", "classmethod", "staticmethod", "property", "exit", "quit", "iter",
        "aiter",
    }
)  # fmt: skip

REFUSED_ATTRIBUTES = frozenset(
    {"format", "format_map", "mro", "ljust", "rjust", "center", "zfill", "expandtabs", "to_bytes"}
)
INTROSPECTION_PREFIXES = ("gi_", "cr_", "ag_", "f_", "tb_", "co_")

_REFUSED_NODES: dict[type[ast.AST], str] = {
    ast.Import: "import",
    ast.ImportFrom: "from ... import",
    ast.Global: "global",
    ast.Nonlocal: "nonlocal",
    ast.ClassDef: "class",
    ast.AsyncFunctionDef: "async def",
    ast.AsyncFor: "async for",
    ast.AsyncWith: "async with",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield from",
    ast.With: "with",
    ast.Match: "match",
    ast.Try: "try",
    ast.TryStar: "try",
    ast.Raise: "raise",
}
_LONG_NUMBER = re.compile(r"\d{4,}")


class SandboxError(DomainError):
    """Code the sandbox refused or stopped. The message, in Spanish, is for the process owner.

    `line` is the line of the script when known. `task` is the SpiffWorkflow task the code ran
    in, set by the script engine when the code ran inside a workflow (as WorkflowTaskException
    does)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line: int | None = None
        self.task: Any = None
        self.locate(line)

    def __reduce__(self) -> tuple[type[SandboxError], tuple[str, int | None]]:
        return SandboxError, (self.message, self.line)  # picklable without the task

    def locate(self, line: int | None) -> None:
        """Names the line in the message, once it is known."""
        if line and self.line is None:
            self.line = line
            self.args = (f"línea {line}: {self.message}",)


def parse_expression(source: str) -> ast.Expression:
    """The checked tree of a condition or other expression; raises SandboxError."""
    tree = _parse(source.strip() if isinstance(source, str) else source, "eval")
    assert isinstance(tree, ast.Expression)
    return tree


def parse_script(source: str) -> ast.Module:
    """The checked tree of a script; raises SandboxError."""
    tree = _parse(source, "exec")
    assert isinstance(tree, ast.Module)
    return tree


def check_expression(source: str) -> None:
    """Raises SandboxError unless `source` is an expression the sandbox will run."""
    parse_expression(source)


def check_script(source: str) -> None:
    """Raises SandboxError unless `source` is a script the sandbox will run."""
    parse_script(source)


def _parse(source: str, mode: str) -> ast.AST:
    if not isinstance(source, str):
        raise SandboxError("el código debe ser un texto")
    if len(source) > MAX_SOURCE_CHARS:
        raise SandboxError(f"el código no puede tener más de {MAX_SOURCE_CHARS} caracteres")
    tree = _compile(source, mode, ast.PyCF_ONLY_AST)
    _refuse_problems(tree)
    _compile(source, mode, 0)  # what only the compiler sees: 'return' outside a function, …
    return tree


def _compile(source: str, mode: str, flags: int) -> Any:
    try:
        return compile(source, "<string>", mode, flags, dont_inherit=True)
    except SyntaxError as exc:
        raise SandboxError(f"error de sintaxis: {exc.msg}", exc.lineno) from None
    except (RecursionError, MemoryError, ValueError):
        raise SandboxError("el código es demasiado complejo o no es válido") from None


def _refuse_problems(tree: ast.AST) -> None:
    problems = []
    for node in ast.walk(tree):
        message = _problem(node)
        if message is not None:
            problems.append((*_position(node), message))
    if problems:
        line, _, message = min(problems)  # the first in reading order
        raise SandboxError(message, line)


def _position(node: ast.AST) -> tuple[int, int]:
    """Where the offending token starts: for `a.b.c`, the attribute's name, not `a`."""
    if isinstance(node, ast.Attribute) and node.end_lineno is not None:
        return node.end_lineno, (node.end_col_offset or 0) - len(node.attr)
    return getattr(node, "lineno", 0), getattr(node, "col_offset", 0)


def _problem(node: ast.AST) -> str | None:
    refused = _REFUSED_NODES.get(type(node))
    if refused is not None:
        return f"no se permite '{refused}'"
    check = _NAME_CHECKS.get(type(node))
    return check(node) if check is not None else None


def _name_problem(name: str | None, *, builtins: bool = True) -> str | None:
    if name is None:
        return None
    if name.startswith("_") or (builtins and name in DANGEROUS_NAMES):
        return f"no se permite el nombre '{name}'"
    return None


def _attribute_problem(attr: str) -> str | None:
    if attr.startswith(("_", *INTROSPECTION_PREFIXES)) or attr in REFUSED_ATTRIBUTES:
        return f"no se permite el atributo '{attr}'"
    return None


def _format_spec_problem(spec: ast.expr | None) -> str | None:
    if spec is None:
        return None
    assert isinstance(spec, ast.JoinedStr)
    for part in spec.values:
        if not isinstance(part, ast.Constant):
            return "no se permite un formato calculado en una f-string"
        if _LONG_NUMBER.search(str(part.value)):
            return "no se permite un ancho o precisión de formato mayor que 999 en una f-string"
    return None


_NAME_CHECKS: dict[type[ast.AST], Callable[[Any], str | None]] = {
    ast.Name: lambda node: _name_problem(node.id),
    ast.FunctionDef: lambda node: _name_problem(node.name),
    ast.arg: lambda node: _name_problem(node.arg),
    ast.keyword: lambda node: _name_problem(node.arg, builtins=False),
    ast.Attribute: lambda node: _attribute_problem(node.attr),
    ast.FormattedValue: lambda node: _format_spec_problem(node.format_spec),
}
