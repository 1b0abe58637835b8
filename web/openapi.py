"""The OpenAPI 3.1 description of ``/api`` (served at ``/api/openapi.json``)."""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/schemas/Error"}


def _responses(ok: dict[str, Any], *codes: int) -> dict[str, Any]:
    described = {
        400: "Solicitud no válida",
        401: "Sin autenticación",
        403: "El cargo no lo permite",
        404: "No existe",
        409: "Otro usuario cambió la tarea o la instancia primero",
        422: "Datos inválidos (indica el campo)",
    }
    out = dict(ok)
    for code in (401, *codes):
        out[str(code)] = {
            "description": described[code],
            "content": {"application/json": {"schema": ERROR}},
        }
    return out


def _json(schema: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


# What a step made happen: the human tasks it made READY (ids to claim or complete next,
# with no second read) and the service calls it queued.
_STEP_PROPERTIES = {
    "new_tasks": {"type": "array", "items": {"$ref": "#/components/schemas/Task"}},
    "new_service_calls": {"type": "array", "items": {"type": "integer"}},
}


def _task_action(summary: str, body: bool = False, step: bool = False) -> dict[str, Any]:
    result: dict[str, Any] = {"type": "object"}
    if step:
        result["properties"] = {
            "id": {"type": "integer"},
            "state": {"type": "string"},
            "instance_id": {"type": "integer"},
            **_STEP_PROPERTIES,
        }
    op: dict[str, Any] = {
        "summary": summary,
        "parameters": [
            {"name": "task_id", "in": "path", "required": True, "schema": {"type": "integer"}}
        ],
        "responses": _responses({"200": _json(result)}, 403, 404, 409, 422),
    }
    if body:
        op["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"type": "object", "properties": {"data": {"type": "object"}}}
                }
            },
        }
    return {"post": op}


def _bulk(summary: str, with_data: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {"task_ids": {"type": "array", "items": {"type": "integer"}}}
    if with_data:
        properties["data"] = {"type": "object"}
    result = {
        "type": "object",
        "properties": {
            "results": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "task_id": {"type": "integer"},
                        "ok": {"type": "boolean"},
                        "message": {"type": "string"},
                    },
                },
            }
        },
    }
    body = {"type": "object", "required": ["task_ids"], "properties": properties}
    return {
        "post": {
            "summary": summary,
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": _responses({"200": _json(result)}, 422),
        }
    }


def spec() -> dict[str, Any]:
    task_ref = {"$ref": "#/components/schemas/Task"}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "juntos-bpm API",
            "version": "1",
            "description": "Procesos del Manual de Operaciones de JUNTOS: definiciones, "
            "instancias y tareas. Las mismas reglas de permisos que la web.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/api/processes": {
                "get": {
                    "summary": "Procesos publicados (última versión de cada uno)",
                    "responses": _responses(
                        {
                            "200": _json(
                                {"type": "array", "items": {"$ref": "#/components/schemas/Process"}}
                            )
                        }
                    ),
                }
            },
            "/api/instances": {
                "post": {
                    "summary": "Iniciar una instancia",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["key"],
                                    "properties": {
                                        "key": {"type": "string"},
                                        "data": {"type": "object"},
                                        "scope": {
                                            "type": "string",
                                            "description": "código de unidad",
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "responses": _responses(
                        {
                            "201": _json(
                                {
                                    "type": "object",
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "state": {"type": "string"},
                                        **_STEP_PROPERTIES,
                                    },
                                },
                                "Creada",
                            )
                        },
                        403,
                        404,
                        422,
                    ),
                }
            },
            "/api/instances/{instance_id}": {
                "get": {
                    "summary": "Una instancia: tareas, incidentes e historia (auditoría)",
                    "parameters": [
                        {
                            "name": "instance_id",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer"},
                        }
                    ],
                    "responses": _responses({"200": _json({"type": "object"})}, 404),
                }
            },
            "/api/tasks": {
                "get": {
                    "summary": "Mis tareas (mine), disponibles para mis cargos (available) o ambas",
                    "parameters": [
                        {
                            "name": "scope",
                            "in": "query",
                            "schema": {"type": "string", "enum": ["all", "mine", "available"]},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 1, "maximum": 500},
                        },
                        {
                            "name": "offset",
                            "in": "query",
                            "schema": {"type": "integer", "minimum": 0},
                        },
                    ],
                    "responses": _responses(
                        {"200": _json({"type": "array", "items": task_ref})}, 422
                    ),
                }
            },
            "/api/tasks/{task_id}/claim": _task_action("Tomar una tarea"),
            "/api/tasks/{task_id}/unclaim": _task_action("Liberar una tarea"),
            "/api/tasks/{task_id}/complete": _task_action(
                "Completar una tarea con los datos de su formulario", body=True, step=True
            ),
            "/api/tasks/{task_id}/draft": _task_action(
                "Guardar un borrador del formulario (sin validar; solo para quien la hace)",
                body=True,
            ),
            "/api/tasks/bulk/claim": _bulk("Tomar varias tareas; un resultado por tarea", False),
            "/api/tasks/bulk/complete": _bulk(
                "Completar varias tareas del mismo tipo con los mismos datos; un resultado por "
                "tarea (hasta 100)",
                True,
            ),
        },
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "token de `juntos users token LOGIN --name …`",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "session",
                    "description": "sesión web; las escrituras requieren X-CSRFToken",
                },
            },
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "message"],
                    "properties": {
                        "error": {"type": "string"},
                        "message": {"type": "string"},
                        "field": {"type": "string"},
                    },
                },
                "Process": {
                    "type": "object",
                    "properties": {
                        "key": {"type": "string"},
                        "name": {"type": "string"},
                        "version": {"type": "integer"},
                        "owner": {"type": "string"},
                        "manual_section": {"type": "string"},
                    },
                },
                "Task": {
                    "type": "object",
                    "properties": {
                        "id": {"type": "integer"},
                        "instance_id": {"type": "integer"},
                        "element_id": {"type": "string"},
                        "name": {"type": "string"},
                        "candidate": {"type": "string"},
                        "candidate_unit_id": {"type": ["integer", "null"]},
                        "state": {
                            "type": "string",
                            "enum": ["ready", "claimed", "completed", "cancelled"],
                        },
                        "assignee_user_id": {"type": ["integer", "null"]},
                        "form": {"type": ["string", "null"]},
                        "priority": {"type": "integer"},
                        "household": {"type": ["string", "null"]},
                        "due_at": {"type": ["string", "null"], "format": "date-time"},
                        "created_at": {"type": "string", "format": "date-time"},
                    },
                },
            },
        },
    }
