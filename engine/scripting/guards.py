"""What sandboxed code may call, and the size guards its arithmetic is rewritten to go through.

One C-level operation cannot be interrupted by the line budget or the alarm, so the operations
that build an enormous value in one step are checked before they run:

- `a ** b` and `a << b` on ints: refused when the exponent is above 10,000 or the result would
  have more than 10,000 decimal digits;
- `a * b`: on two ints, refused when the result would have more than 10,000 digits; a str, list
  or tuple repeated by an int, refused when the result would have more than 1,000,000 items;
- `a + b` on two sequences: refused when the result would have more than 1,000,000 items;
- `text % values`: printf-style formatting of strings is refused (its width is unbounded);
  `%` on numbers is the remainder, as usual;
- `range()` refuses more than 1,000,000 items; `round(x, n)` refuses |n| > 10,000;
  `Decimal()` refuses values with more than 10,000 digits or an exponent beyond ±10,000, and
  decimal arithmetic runs in `DECIMAL_CONTEXT` (28 significant digits, exponents within
  ±10,000), so converting to int or str stays cheap.

The rewrite turns `a OP b` into `_sb_op(a, b)` and `x OP= y` into `x = _sb_iop(x, y)` (in place
for lists, as Python does; the target's object and key are evaluated once). It also puts a
`_sb_tick()` at the top of every `while` body: CPython reports no line event for `while True:
pass`, whose body is a jump to itself, so the tick is what makes the budget see that loop.
Names starting with `_` are refused by the checker, so scripts can neither call nor replace the
helpers. Memory can still be amplified through methods (`sep.join(big_list)`,
`text.replace('', text)`, `big.extend(big)` in a loop, `str()` of a large nested value): bound
it at the process level.
"""

from __future__ import annotations

import ast
import decimal
import importlib
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from types import MappingProxyType
from typing import Any

from engine.scripting.checker import SandboxError

MAX_ITEMS = 1_000_000
MAX_INT_DIGITS = 10_000
MAX_EXPONENT = 10_000
_MAX_INT_BITS = int(MAX_INT_DIGITS * math.log2(10))
_SEQUENCES = (str, bytes, bytearray, list, tuple)
_INTERNAL_IMPORTS = frozenset({"time", "_strptime"})

DECIMAL_CONTEXT = decimal.Context(Emax=MAX_INT_DIGITS, Emin=-MAX_INT_DIGITS)
TICK = "_sb_tick"


class _DecimalType(type):
    def __instancecheck__(cls, instance: object) -> bool:
        # results of arithmetic are plain Decimals: isinstance(x, Decimal) must still hold
        return isinstance(instance, decimal.Decimal)


class SafeDecimal(decimal.Decimal, metaclass=_DecimalType):
    """`Decimal` as scripts see it: refuses the huge values that are cheap to write
    (`Decimal('1e999999999')`) but expensive to convert to int or print."""

    def __new__(cls, value: object = "0", context: object = None) -> SafeDecimal:
        number = super().__new__(cls, value, context)  # type: ignore[call-arg]
        if number.is_finite() and (
            len(number.as_tuple().digits) > MAX_INT_DIGITS
            or abs(number.adjusted()) > MAX_INT_DIGITS
        ):
            raise SandboxError(f"el número decimal tiene más de {MAX_INT_DIGITS} dígitos")
        return number


def safe_range(*args: int) -> range:
    numbers = range(*args)
    try:
        too_long = len(numbers) > MAX_ITEMS
    except OverflowError:
        too_long = True
    if too_long:
        raise SandboxError(f"range() no puede producir más de {MAX_ITEMS} elementos")
    return numbers


def safe_round(number: Any, ndigits: Any = None) -> Any:
    if ndigits is None:
        return round(number)
    if _is_int(ndigits) and abs(ndigits) > MAX_INT_DIGITS:  # round(1, -10**9) computes 10**10**9
        raise SandboxError(f"round() no admite más de {MAX_INT_DIGITS} dígitos")
    return round(number, ndigits)


def internal_import(name: str, *args: Any, **kwargs: Any) -> Any:
    """The `__import__` that C code looks up in the builtins of the running code: `strftime`
    imports `time` and `strptime` imports `_strptime`. Nothing else may be imported, and
    scripts cannot name it (the checker refuses names starting with '_')."""
    if name not in _INTERNAL_IMPORTS:
        raise SandboxError("no se permite importar módulos")
    return importlib.import_module(name)


def _too_many_digits(what: str) -> SandboxError:
    return SandboxError(f"{what} produciría un entero de más de {MAX_INT_DIGITS} dígitos")


def _is_int(value: object) -> bool:
    return isinstance(value, int)


def safe_pow(base: Any, exponent: Any) -> Any:
    if _is_int(base) and _is_int(exponent) and exponent > 0:
        if exponent > MAX_EXPONENT:
            raise SandboxError(f"el exponente no puede ser mayor que {MAX_EXPONENT}")
        if abs(base) > 1 and exponent * math.log2(abs(base)) > _MAX_INT_BITS:
            raise _too_many_digits("la potencia")
    return base**exponent


def safe_lshift(value: Any, shift: Any) -> Any:
    if _is_int(value) and _is_int(shift) and value.bit_length() + max(shift, 0) > _MAX_INT_BITS:
        raise _too_many_digits("el desplazamiento")
    return value << shift


def _check_product(left: Any, right: Any) -> None:
    if _is_int(left) and _is_int(right):
        if left.bit_length() + right.bit_length() > _MAX_INT_BITS:
            raise _too_many_digits("la multiplicación")
    elif isinstance(left, _SEQUENCES) and _is_int(right):
        _check_items(len(left) * right, "la repetición")
    elif isinstance(right, _SEQUENCES) and _is_int(left):
        _check_items(len(right) * left, "la repetición")


def _check_sum(left: Any, right: Any) -> None:
    if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
        _check_items(len(left) + len(right), "la concatenación")


def _check_items(count: int, what: str) -> None:
    if count > MAX_ITEMS:
        raise SandboxError(f"{what} produciría más de {MAX_ITEMS} elementos")


def safe_mult(left: Any, right: Any) -> Any:
    _check_product(left, right)
    return left * right


def safe_imult(left: Any, right: Any) -> Any:
    _check_product(left, right)
    left *= right
    return left


def safe_add(left: Any, right: Any) -> Any:
    _check_sum(left, right)
    return left + right


def safe_iadd(left: Any, right: Any) -> Any:
    _check_sum(left, right)
    left += right
    return left


def safe_mod(left: Any, right: Any) -> Any:
    if isinstance(left, (str, bytes)):
        raise SandboxError("no se permite el formato con '%' en textos; use una f-string")
    return left % right


SAFE_BUILTINS: Mapping[str, object] = MappingProxyType(
    {
        "abs": abs, "all": all, "any": any, "bool": bool, "dict": dict, "enumerate": enumerate,
        "filter": filter, "float": float, "int": int, "isinstance": isinstance, "len": len,
        "list": list, "map": map, "max": max, "min": min, "range": safe_range,
        "reversed": reversed, "round": safe_round, "set": set, "sorted": sorted, "str": str,
        "sum": sum, "tuple": tuple, "zip": zip, "True": True, "False": False, "None": None,
        "Decimal": SafeDecimal, "date": date, "datetime": datetime, "timedelta": timedelta,
        "__import__": internal_import,
    }
)  # fmt: skip

HELPERS: Mapping[str, Callable[..., Any]] = MappingProxyType(
    {
        "_sb_pow": safe_pow,
        "_sb_lshift": safe_lshift,
        "_sb_mult": safe_mult,
        "_sb_imult": safe_imult,
        "_sb_add": safe_add,
        "_sb_iadd": safe_iadd,
        "_sb_mod": safe_mod,
    }
)
_BINARY = {ast.Pow: "_sb_pow", ast.LShift: "_sb_lshift", ast.Mult: "_sb_mult",
           ast.Add: "_sb_add", ast.Mod: "_sb_mod"}  # fmt: skip
_IN_PLACE = {**_BINARY, ast.Mult: "_sb_imult", ast.Add: "_sb_iadd"}


def rewrite(tree: ast.AST) -> ast.AST:
    """The checked tree with the guards in place (the tree is modified)."""
    return ast.fix_missing_locations(_Rewriter().visit(tree))


def _call(helper: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Name(id=helper, ctx=ast.Load()), args=list(args), keywords=[])


def _name(name: str, ctx: ast.expr_context) -> ast.Name:
    return ast.Name(id=name, ctx=ctx)


class _Rewriter(ast.NodeTransformer):
    def __init__(self) -> None:
        self.temporaries = 0

    def visit_BinOp(self, node: ast.BinOp) -> ast.expr:
        self.generic_visit(node)
        helper = _BINARY.get(type(node.op))
        if helper is None:
            return node
        return ast.copy_location(_call(helper, node.left, node.right), node)

    def visit_While(self, node: ast.While) -> ast.While:
        self.generic_visit(node)
        node.body.insert(0, ast.copy_location(ast.Expr(_call(TICK)), node))
        return node

    def visit_AugAssign(self, node: ast.AugAssign) -> ast.stmt | list[ast.stmt]:
        self.generic_visit(node)
        helper = _IN_PLACE.get(type(node.op))
        if helper is None:
            return node
        setup, store, load = self._target(node.target)
        assign = ast.Assign(targets=[store], value=_call(helper, load, node.value))
        return [ast.copy_location(statement, node) for statement in [*setup, assign]]

    def _target(self, target: ast.expr) -> tuple[list[ast.stmt], ast.expr, ast.expr]:
        """Statements that evaluate the target's parts once, and the target to store and load."""
        if isinstance(target, ast.Name):
            return [], _name(target.id, ast.Store()), _name(target.id, ast.Load())
        setup: list[ast.stmt] = []
        owner = self._temporary(target.value, setup)  # type: ignore[attr-defined]
        if isinstance(target, ast.Attribute):
            return (setup, ast.Attribute(value=owner(), attr=target.attr, ctx=ast.Store()),
                    ast.Attribute(value=owner(), attr=target.attr, ctx=ast.Load()))  # fmt: skip
        assert isinstance(target, ast.Subscript)
        key = self._key(target.slice, setup)
        return (setup, ast.Subscript(value=owner(), slice=key(), ctx=ast.Store()),
                ast.Subscript(value=owner(), slice=key(), ctx=ast.Load()))  # fmt: skip

    def _key(self, key: ast.expr, setup: list[ast.stmt]) -> Callable[[], ast.expr]:
        if not isinstance(key, ast.Slice):
            return self._temporary(key, setup)
        parts = [None if part is None else self._temporary(part, setup)
                 for part in (key.lower, key.upper, key.step)]  # fmt: skip
        return lambda: ast.Slice(*(None if part is None else part() for part in parts))

    def _temporary(self, value: ast.expr, setup: list[ast.stmt]) -> Callable[[], ast.Name]:
        """Assigns `value` to a fresh `_sb_tN` in `setup`; returns a maker of loads of it."""
        self.temporaries += 1
        name = f"_sb_t{self.temporaries}"
        setup.append(ast.Assign(targets=[_name(name, ast.Store())], value=value))
        return lambda: _name(name, ast.Load())
