"""Error pages in Spanish (the defaults are English and bare)."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: ("Solicitud no válida", "La solicitud no se pudo procesar."),
    403: ("Acceso denegado", "Su cargo no le permite realizar esta acción."),
    404: ("Página no encontrada", "La dirección no existe o fue retirada."),
    405: ("Método no permitido", "Esta acción no se puede realizar de ese modo."),
    413: ("Archivo demasiado grande", "El archivo supera el tamaño permitido."),
    500: ("Error interno", "Ocurrió un error inesperado. El equipo de TI fue notificado."),
}


def _render(status: int, detail: str | None = None) -> tuple[str, int]:
    title, message = MESSAGES.get(status, (f"Error {status}", "No se pudo completar la acción."))
    return render_template("error.html", title=title, message=detail or message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(_exc: CSRFError) -> tuple[str, int]:
        return _render(
            400,
            "El formulario caducó o no es válido. Vuelva a cargar la página e inténtelo de nuevo.",
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int]:
        return _render(exc.code or 500)
