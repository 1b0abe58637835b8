"""Golden save/load fixtures: a state saved by this engine must load after any upgrade of
SpiffWorkflow (or of our code) with every task's data, and go on running."""

from __future__ import annotations

import hashlib
import json
import math

import pytest
from SpiffWorkflow.util.task import TaskState

from engine.definitions.deploy import spiff_parse
from engine.definitions.store import LoadedDefinition
from engine.definitions.xml import parse_untrusted
from engine.runtime import serialization
from engine.scripting import make_script_engine
from tests.runtime_support import BPMN, FIXTURES

GOLDEN = FIXTURES / "golden" / "ref_verificacion_after_observado.json"


def _definition() -> LoadedDefinition:
    source = (BPMN / "ref_verificacion.bpmn").read_bytes()
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert hashlib.sha256(source).hexdigest() == golden["bpmn_sha256"], (
        "the fixture BPMN changed: regenerate the golden state with the old code first"
    )
    parser = spiff_parse(parse_untrusted(source, "ref"), "ref", validate=False)
    return LoadedDefinition(
        1,
        "ref_verificacion",
        1,
        parser.get_spec("ref_verificacion"),
        parser.get_subprocess_specs("ref_verificacion"),
        {},
        {},
        {},
    )


def _load():  # type: ignore[no-untyped-def]
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    workflow = serialization.from_state(golden["state"], _definition())
    workflow.script_engine = make_script_engine()
    return workflow


def test_golden_state_loads_with_all_task_data() -> None:
    workflow = _load()
    ready = [t for t in workflow.get_tasks(state=TaskState.READY) if t.task_spec.manual]
    assert [t.task_spec.bpmn_id for t in ready] == ["registrar_resultado"]
    data = ready[0].data
    assert data["co_hogar"] == "H0000001"
    assert data["observaciones"] == "Casa con techo de calamina; ñandú"
    assert data["decision"] == "observado" and data["comentario"] == "Falta constancia"
    completed = [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.COMPLETED)]
    assert completed.count("registrar_resultado") == 1
    assert {"registrar_visita", "revisar", "gw_revision"} <= set(completed)


def test_golden_state_round_trips_and_runs_on() -> None:
    workflow = _load()
    again = serialization.load(serialization.dump(workflow), _definition())
    assert serialization.dump(again) == serialization.dump(workflow)
    again.script_engine = make_script_engine()
    for element, data in (
        ("registrar_resultado", {"cumple": True}),
        ("revisar", {"decision": "conforme"}),
    ):
        [task] = [
            t for t in again.get_tasks(state=TaskState.READY) if t.task_spec.bpmn_id == element
        ]
        task.data.update(data)
        task.run()
        again.do_engine_steps()
    [service] = again.get_tasks(state=TaskState.STARTED)
    assert service.task_spec.operation_name == "notificaciones.registrar"


def test_blobs_with_and_without_the_preset_dictionary_load() -> None:
    """``pack`` compresses from a preset dictionary; blobs stored before it (plain zlib) and
    after it both read back. The dictionary's bytes are pinned: changing them would make
    every stored blob unreadable."""
    import zlib

    workflow = _load()
    state = serialization.to_state(workflow)
    blob = serialization.pack(state)
    assert blob[1] & 0x20  # the zlib header names a preset dictionary
    assert zlib.adler32(serialization._ZDICT) == 0x3C2CDA0D
    assert serialization.unpack(blob) == state
    plain = zlib.compress(json.dumps(state, separators=(",", ":")).encode(), 6)
    assert len(blob) < len(plain)
    assert serialization.unpack(plain) == state
    unknown = blob[:2] + (12345).to_bytes(4, "big") + blob[6:]
    with pytest.raises(ValueError, match="unknown dictionary"):
        serialization.unpack(unknown)


def test_pack_writes_the_bytes_json_would_write() -> None:
    """orjson writes the saved state; the bytes are those of ``json.dumps`` (compact,
    UTF-8), so blobs written before and after it are the same."""
    import zlib

    state = serialization.to_state(_load())
    state["data"]["nombre"] = "Ñañez – año"
    expected = json.dumps(state, separators=(",", ":"), ensure_ascii=False).encode()
    decompressor = zlib.decompressobj(zdict=serialization._ZDICT)
    blob = serialization.pack(state)
    assert decompressor.decompress(blob) + decompressor.flush() == expected


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), 2**70, (1, 2), {1: "a"}],
    ids=["nan", "infinity", "big-int", "tuple", "int-key"],
)
def test_what_orjson_would_change_is_saved_as_json_saves_it(value: object) -> None:
    """NaN and infinities (orjson writes null), integers over 64 bits (it refuses), tuples
    and non-string keys (they read back changed) go through ``json``: the blob reads back
    as it always did."""
    state = {"format": serialization.FORMAT, "data": {"x": value}}
    expected = json.loads(json.dumps(state))
    got = serialization.unpack(serialization.pack(state))
    if isinstance(value, float) and math.isnan(value):  # NaN equals nothing
        assert math.isnan(got["data"]["x"])
    else:
        assert got == expected
