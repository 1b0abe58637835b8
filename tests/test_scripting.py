"""The sandbox for the Python in diagrams: what it runs, what it refuses, and its limits."""

from __future__ import annotations

import pickle
import re
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine.python_environment import TaskDataEnvironment
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

from engine.errors import DomainError
from engine.scripting import (
    Limits,
    SandboxedEnvironment,
    SandboxError,
    check_expression,
    check_script,
    make_script_engine,
)
from engine.scripting.guards import internal_import

SENTINEL = {"touched": False}  # what a hostile script reaching this module would change
MODULE = __name__


@pytest.fixture
def env() -> SandboxedEnvironment:
    return SandboxedEnvironment()


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    return tmp_path / "canary"


# --- what diagrams normally do -------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"monto": 200, "estado": "afiliado"}, True),
        ({"monto": 0, "estado": "afiliado"}, False),
        ({"monto": 200, "estado": "suspendido"}, False),
    ],
)
def test_gateway_conditions(
    env: SandboxedEnvironment, data: dict[str, Any], expected: bool
) -> None:
    assert env.evaluate("monto > 0 and estado == 'afiliado'", data) is expected
    assert env.evaluate("\n  monto > 0 and estado == 'afiliado'\n", data) is expected


def test_a_total_with_decimal_is_written_back_exactly(env: SandboxedEnvironment) -> None:
    data: dict[str, Any] = {"montos": ["100.10", "50.20", "0.20"]}
    script = "total = sum(Decimal(m) for m in montos)\nes_decimal = isinstance(total, Decimal)"
    assert env.execute(script, data) is True
    assert data == {"montos": ["100.10", "50.20", "0.20"], "total": "150.50", "es_decimal": True}


def test_comprehensions_and_a_helper_function(env: SandboxedEnvironment) -> None:
    data: dict[str, Any] = {"hogares": [{"nombre": "A", "hijos": 2}, {"nombre": "B", "hijos": 0}]}
    script = (
        "def bono(hijos):\n"
        "    return 100 + 50 * hijos\n"
        "pagos = {h['nombre']: bono(h['hijos']) for h in hogares}\n"
        "con_hijos = [h['nombre'] for h in hogares if h['hijos'] > 0]\n"
        "total = sum(pagos.values())\n"
    )
    env.execute(script, data)
    assert data["pagos"] == {"A": 200, "B": 100}
    assert data["con_hijos"] == ["A"]
    assert data["total"] == 300
    assert "bono" not in data  # functions stay in the script


def test_values_are_written_back_as_json(env: SandboxedEnvironment) -> None:
    data: dict[str, Any] = {"lista": [1, 2], "quitar": 1, "_interno": "x", "fijo": "igual"}
    script = (
        "vence = date(2026, 1, 31) + timedelta(days=30)\n"
        "texto = f'{vence:%d/%m/%Y}' + datetime.strptime('02/03/2026', '%d/%m/%Y').strftime('%Y')\n"
        "sello = datetime(2026, 3, 2, 10, 30)\n"
        "par = (1, Decimal('2.50'))\n"
        "anidado = {'a': [None, True, 1.5, 'x']}\n"
        "lista.append(3)\n"
        "del quitar\n"
        "fijo = 'igual'\n"
    )
    env.execute(script, data)
    assert data == {
        "lista": [1, 2, 3],
        "_interno": "x",
        "fijo": "igual",
        "vence": "2026-03-02",
        "texto": "02/03/20262026",
        "sello": "2026-03-02T10:30:00",
        "par": [1, "2.50"],
        "anidado": {"a": [None, True, 1.5, "x"]},
    }


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("ok = 1\nconjunto = {1, 2}", "la variable 'conjunto' contiene un valor que no se puede"),
        ("ok = 1\nplazo = timedelta(days=1)", "la variable 'plazo' contiene un valor"),
        ("ok = 1\npares = map(abs, [1])", "la variable 'pares' contiene un valor"),
        ("ok = 1\nclaves = {1: 'a'}", "la variable 'claves' es un diccionario con claves"),
        ("ok = 1\nx = float('nan')", "la variable 'x' contiene un valor"),
        ("ok = 1\nx = 10 ** 5000", "la variable 'x' contiene un entero demasiado grande"),
    ],
)
def test_values_that_are_not_json_name_the_variable_and_write_nothing(
    env: SandboxedEnvironment, script: str, message: str
) -> None:
    data = {"a": 1}
    with pytest.raises(SandboxError, match=message):
        env.execute(script, data)
    assert data == {"a": 1}


def test_a_failing_script_leaves_the_task_data_as_it_was(env: SandboxedEnvironment) -> None:
    data: dict[str, Any] = {"lista": [1], "d": {"n": 1}}
    with pytest.raises(ZeroDivisionError):
        env.execute("lista.append(2)\nd['n'] = 2\nnuevo = 1\nx = 1 / 0", data)
    assert data == {"lista": [1], "d": {"n": 1}}


def test_an_expression_cannot_modify_the_task_data(env: SandboxedEnvironment) -> None:
    data = {"lista": [1, 2, 3]}
    assert env.evaluate("lista.pop() == 3 and (nuevo := 1) == 1", data) is True
    assert data == {"lista": [1, 2, 3]}


def test_an_expression_must_return_data_not_code(env: SandboxedEnvironment) -> None:
    with pytest.raises(SandboxError, match="no es un dato"):
        env.evaluate("lambda: 1", {})
    with pytest.raises(SandboxError, match="no es un dato"):
        env.evaluate("(x for x in [1])", {})


def test_augmented_assignment_is_guarded_and_keeps_python_semantics(
    env: SandboxedEnvironment,
) -> None:
    data: dict[str, Any] = {"conteo": {"a": 0}, "claves": ["a", "a"], "l": [1, 2], "n": 3}
    script = (
        "conteo[claves.pop()] += 1\n"  # the key is evaluated once: one pop
        "alias = l\n"
        "l += [3]\n"  # in place, as in Python: the alias sees it
        "l[0:1] *= 2\n"
        "n **= 2\n"
        "n -= 1\n"
    )
    env.execute(script, data)
    assert data["conteo"] == {"a": 1}
    assert data["claves"] == ["a"]
    assert data["l"] == [1, 1, 2, 3]
    assert data["alias"] == [1, 1, 2, 3]
    assert data["n"] == 8
    with pytest.raises(SandboxError, match="repetición"):
        env.execute("texto = 'x'\ntexto *= 10 ** 9", {})


def test_sandbox_error_is_a_domain_error_naming_the_line() -> None:
    with pytest.raises(SandboxError) as info:
        check_script("a = 1\nb = (\n")
    assert isinstance(info.value, DomainError)
    assert str(info.value).startswith("línea 2: error de sintaxis")
    assert info.value.line == 2
    copy = pickle.loads(pickle.dumps(info.value))  # as a worker would ship it
    assert (type(copy), str(copy), copy.line) == (SandboxError, str(info.value), 2)
    with pytest.raises(SandboxError, match="línea 2: error de sintaxis: 'return' outside"):
        check_script("a = 1\nreturn a")
    with pytest.raises(SandboxError, match="error de sintaxis"):
        check_expression("x = 1")


def test_scripts_cannot_call_services(env: SandboxedEnvironment) -> None:
    with pytest.raises(SandboxError, match="no pueden llamar servicios"):
        env.call_service({}, operation_name="enviar")


# --- the hostile corpus --------------------------------------------------------------------

WRITE_CANARY = "__import__('pathlib').Path({canary!r}).write_text('x')"
STATIC_REFUSALS = [
    ("__import__('os').system('touch {canary}')", "línea 1: no se permite el nombre '__import__'"),
    ("import os", "línea 1: no se permite 'import'"),
    ("from os import path", "línea 1: no se permite 'from ... import'"),
    (WRITE_CANARY, "línea 1: no se permite el nombre '__import__'"),
    ("total = 1\nimport pathlib\npathlib.Path({canary!r}).write_text('x')",
     "línea 2: no se permite 'import'"),
    ("from pathlib import Path\nPath({canary!r}).write_text('x')",
     "línea 1: no se permite 'from ... import'"),
    ("x = ().__class__.__mro__[1].__subclasses__()", "no se permite el atributo '__class__'"),
    ("[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close']"
     "[0].__init__.__globals__['system']('touch {canary}')",
     "línea 1: no se permite el atributo '__class__'"),
    ("open({canary!r}, 'w').write('x')", "no se permite el nombre 'open'"),
    ("x = open('/etc/passwd').read()", "no se permite el nombre 'open'"),
    ("eval('1')", "no se permite el nombre 'eval'"),
    ("exec('x=1')", "no se permite el nombre 'exec'"),
    ("x = 1\ny = getattr(x, '__class__')", "línea 2: no se permite el nombre 'getattr'"),
    ("g = globals()", "no se permite el nombre 'globals'"),
    ("f = lambda: (yield)", "no se permite 'yield'"),
    ("s = '{{0.__class__}}'.format(1)", "no se permite el atributo 'format'"),
    ("s = '{{m}}'.format_map({{'m': 1}})", "no se permite el atributo 'format_map'"),
    ("x = 1\ns = f'{{x.__class__}}'", "línea 2: no se permite el atributo '__class__'"),
    ("f = (g for g in [1]).gi_frame.f_back.f_globals", "no se permite el atributo 'gi_frame'"),
    ("x = 1\ntry:\n    y = 1\nexcept:\n    pass", "línea 2: no se permite 'try'"),
    ("raise Exception('x')", "no se permite 'raise'"),
    ("class A:\n    pass", "no se permite 'class'"),
    ("def f():\n    global SENTINEL\n    SENTINEL = 1", "línea 2: no se permite 'global'"),
    ("with x:\n    pass", "no se permite 'with'"),
    ("async def f():\n    pass", "no se permite 'async def'"),
    ("match x:\n    case str(__class__=c):\n        pass", "no se permite 'match'"),
    ("t = type(1)", "no se permite el nombre 'type'"),
    ("_x = 1", "no se permite el nombre '_x'"),
    ("def f(_a):\n    return _a", "no se permite el nombre '_a'"),
    ("d = dict(__class__=1)", "no se permite el nombre '__class__'"),
    ("s = 'x'.ljust(10 ** 10)", "no se permite el atributo 'ljust'"),
    ("s = f'{{1:>1000000000}}'", "ancho o precisión de formato mayor que 999"),
    ("w = 10\ns = f'{{1:>{{w}}}}'", "formato calculado"),
    ("b = __builtins__", "no se permite el nombre '__builtins__'"),
]  # fmt: skip

RUNTIME_REFUSALS = [
    ("while True: pass", "línea 2: el script excedió el límite de 100000 líneas"),
    ("n = 0\nwhile n >= 0:\n    n += 1", "el script excedió el límite de 100000 líneas"),
    ("l = [1]\nfor x in l:\n    l.append(x)", "el script excedió el límite de 100000 líneas"),
    ("x = sum(range(10**12))", "range() no puede producir más de 1000000 elementos"),
    ("x = 2 ** 10 ** 10", "el exponente no puede ser mayor que 10000"),
    ("x = 99 ** 6000", "la potencia produciría un entero de más de 10000 dígitos"),
    ("x = 'x' * 10**10", "la repetición produciría más de 1000000 elementos"),
    ("x = [0] * 10**7", "la repetición produciría más de 1000000 elementos"),
    ("x = 10 ** 6000 * 10 ** 6000", "la multiplicación produciría un entero de más de 10000"),
    ("x = 1 << 10 ** 6", "el desplazamiento produciría un entero de más de 10000 dígitos"),
    ("s = 'x' * 10**6\ns = s + s", "línea 3: la concatenación produciría más de 1000000"),
    ("s = '%0999999999d' % 1", "no se permite el formato con '%' en textos"),
    ("x = int(Decimal('1e999999999'))", "el número decimal tiene más de 10000 dígitos"),
    ("x = round(1, -10**9)", "round() no admite más de 10000 dígitos"),
]


def _assert_nothing_happened(canary: Path, data: dict[str, Any], before: dict[str, Any]) -> None:
    assert not canary.exists()
    assert SENTINEL == {"touched": False}
    assert data == before


@pytest.mark.parametrize(("template", "message"), STATIC_REFUSALS)
def test_hostile_code_is_refused_before_it_runs(
    env: SandboxedEnvironment, canary: Path, template: str, message: str
) -> None:
    script = template.format(canary=str(canary))
    data = {"x": 1}
    with pytest.raises(SandboxError, match=re.escape(message)):
        check_script(script)
    with pytest.raises(SandboxError) as info:
        env.execute(script, data)
    assert message in str(info.value)
    _assert_nothing_happened(canary, data, {"x": 1})


@pytest.mark.parametrize(("script", "message"), RUNTIME_REFUSALS)
def test_runaway_code_is_stopped(
    env: SandboxedEnvironment, canary: Path, script: str, message: str
) -> None:
    check_script(script)  # nothing to see statically: the limits stop it
    data = {"a": 1}
    started = time.monotonic()
    with pytest.raises(SandboxError) as info:
        env.execute("hecho = True\n" + script, data)
    assert message in str(info.value)
    assert time.monotonic() - started < 3
    _assert_nothing_happened(canary, data, {"a": 1})


@pytest.mark.parametrize(
    "expression",
    ["().__class__.__bases__", "__import__('os')", "getattr(x, 'y')", "'{0}'.format(x)"],
)
def test_hostile_conditions_are_refused(env: SandboxedEnvironment, expression: str) -> None:
    with pytest.raises(SandboxError, match="no se permite"):
        check_expression(expression)
    with pytest.raises(SandboxError, match="no se permite"):
        env.evaluate(expression, {"x": 1})


def test_the_import_hook_for_date_methods_imports_nothing_else() -> None:
    assert internal_import("time").__name__ == "time"  # what strftime needs
    with pytest.raises(SandboxError, match="no se permite importar módulos"):
        internal_import("os")


def test_the_payloads_are_real_escapes_without_the_sandbox(canary: Path) -> None:
    """The control: SpiffWorkflow's default environment runs them, and the canary appears."""
    unsafe = TaskDataEnvironment()
    unsafe.execute(WRITE_CANARY.format(canary=str(canary)), {})
    assert canary.exists()
    canary.unlink()
    payload = f"__import__('sys').modules[{MODULE!r}].SENTINEL['touched'] = True"
    try:
        unsafe.execute(payload, {})
        assert SENTINEL["touched"] is True
    finally:
        SENTINEL["touched"] = False
    with pytest.raises(SandboxError):
        SandboxedEnvironment().execute(payload, {})
    assert SENTINEL == {"touched": False}


# --- the limits clean up after themselves --------------------------------------------------


def test_the_previous_tracer_is_restored(env: SandboxedEnvironment) -> None:
    def tracer(frame: Any, event: str, arg: Any) -> None:
        return None

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        env.execute("x = 1", {})
        with pytest.raises(SandboxError):
            env.execute("while True: pass", {})
        with pytest.raises(ZeroDivisionError):
            env.evaluate("1 / 0", {})
        after = sys.gettrace()
    finally:
        sys.settrace(previous)
    assert after is tracer


def test_the_alarm_handler_and_timer_are_restored(env: SandboxedEnvironment) -> None:
    fired: list[int] = []

    def on_alarm(signum: int, frame: Any) -> None:
        fired.append(signum)

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_timer = signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        env.execute("x = 1", {})
        with pytest.raises(SandboxError):
            env.execute("while True: pass", {})
        handler = signal.getsignal(signal.SIGALRM)
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
    finally:
        signal.setitimer(signal.ITIMER_REAL, *previous_timer)
        signal.signal(signal.SIGALRM, previous_handler)
    assert handler is on_alarm
    assert 25 < remaining <= 30
    assert fired == []


def test_the_wall_clock_limit_stops_a_loop(canary: Path) -> None:
    env = SandboxedEnvironment(Limits(max_lines=10**9, max_seconds=0.2))
    started = time.monotonic()
    with pytest.raises(SandboxError, match=r"el script excedió el límite de 0\.2 segundos"):
        env.execute("while True:\n    x = 1", {})
    assert time.monotonic() - started < 1.5


def test_an_earlier_outer_alarm_still_fires() -> None:
    fired: list[int] = []
    previous_handler = signal.signal(signal.SIGALRM, lambda signum, frame: fired.append(signum))
    previous_timer = signal.setitimer(signal.ITIMER_REAL, 0.1)
    try:
        env = SandboxedEnvironment(Limits(max_lines=10**9, max_seconds=5))
        with pytest.raises(SandboxError, match="el script excedió el límite"):
            env.execute("while True: pass", {})
        time.sleep(0.05)
    finally:
        signal.setitimer(signal.ITIMER_REAL, *previous_timer)
        signal.signal(signal.SIGALRM, previous_handler)
    assert fired == [signal.SIGALRM]


def test_outside_the_main_thread_only_the_line_budget_applies() -> None:
    results: list[Any] = []
    handler = signal.getsignal(signal.SIGALRM)

    def work() -> None:
        no_alarm = SandboxedEnvironment(Limits(max_lines=10**9, max_seconds=0.001))
        data: dict[str, Any] = {}
        no_alarm.execute("n = 0\nfor i in range(20000):\n    n += i", data)
        results.append(data["n"])
        try:
            SandboxedEnvironment().execute("while True: pass", {})
        except SandboxError as exc:
            results.append(str(exc))
        results.append(sys.gettrace())

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert results == [
        sum(range(20000)),
        "línea 1: el script excedió el límite de 100000 líneas",
        None,
    ]
    assert signal.getsignal(signal.SIGALRM) is handler


# --- inside a real SpiffWorkflow workflow --------------------------------------------------

BPMN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs" targetNamespace="http://juntos">
  <bpmn:process id="Pago" isExecutable="true">
    <bpmn:startEvent id="inicio"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="calcular" name="Calcular total">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="decidir" default="f4">
      <bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing><bpmn:outgoing>f4</bpmn:outgoing>
    </bpmn:exclusiveGateway>
    <bpmn:endEvent id="fin_revision"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="fin_directo"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="calcular"/>
    <bpmn:sequenceFlow id="f2" sourceRef="calcular" targetRef="decidir"/>
    <bpmn:sequenceFlow id="f3" sourceRef="decidir" targetRef="fin_revision">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}
      </bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f4" sourceRef="decidir" targetRef="fin_directo"/>
  </bpmn:process>
</bpmn:definitions>
"""


def _workflow(script: str, condition: str = "total > 1000", **data: Any) -> BpmnWorkflow:
    parser = SpiffBpmnParser()
    parser.add_bpmn_str(BPMN.format(script=escape(script), condition=escape(condition)).encode())
    workflow = BpmnWorkflow(parser.get_spec("Pago"), script_engine=make_script_engine())
    start = workflow.get_next_task(state=TaskState.READY)
    assert start is not None
    start.set_data(**data)
    return workflow


def _completed(workflow: BpmnWorkflow) -> list[str]:
    return [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)]


@pytest.mark.parametrize(
    ("precio", "cantidad", "end", "other_end"),
    [(300, 4, "fin_revision", "fin_directo"), (300, 2, "fin_directo", "fin_revision")],
)
def test_a_workflow_runs_its_script_and_takes_the_branch(
    precio: int, cantidad: int, end: str, other_end: str
) -> None:
    workflow = _workflow("total = precio * cantidad", precio=precio, cantidad=cantidad)
    workflow.do_engine_steps()
    assert workflow.is_completed()
    assert end in _completed(workflow) and other_end not in _completed(workflow)
    assert workflow.data["total"] == precio * cantidad


@pytest.mark.parametrize(
    ("script", "condition", "element", "message"),
    [
        ("total = 1\nos = __import__('os')", "total > 1000", "calcular",
         "línea 2: no se permite el nombre '__import__'"),
        ("total = 1\nwhile True:\n    pass", "total > 1000", "calcular",
         "línea 2: el script excedió el límite de 100000 líneas"),
        ("total = 1", "total.__class__ is int", "decidir",
         "línea 1: no se permite el atributo '__class__'"),
    ],
)  # fmt: skip
def test_a_sandbox_error_in_a_workflow_reaches_the_caller_as_itself(
    script: str, condition: str, element: str, message: str
) -> None:
    workflow = _workflow(script, condition, precio=1, cantidad=1)
    with pytest.raises(SandboxError) as info:
        workflow.do_engine_steps()
    assert str(info.value) == message
    assert info.value.task.task_spec.bpmn_id == element
    assert info.value.task.state == TaskState.ERROR
    assert not workflow.is_completed()


def test_other_script_errors_keep_spiffworkflows_wrapping() -> None:
    workflow = _workflow("total = precio * cantidad", precio=1)
    with pytest.raises(WorkflowTaskException, match="cantidad"):
        workflow.do_engine_steps()


def test_deploy_time_checks_accept_what_diagrams_use() -> None:
    check_expression("decision == 'conforme'")
    check_expression("fecha_fin >= date(2026, 1, 1).isoformat() and len(hogares) > 0")
    check_script(
        "total = round(sum(m for m in montos) * Decimal('1.18'), 2)\nhoy = str(date.today())"
    )
    assert SandboxedEnvironment().evaluate("date(2026, 3, 2).isoformat()", {}) == "2026-03-02"
