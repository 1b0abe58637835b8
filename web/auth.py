"""Login and logout. The credentials are checked by ``engine.org.authenticate``."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import (
    Blueprint,
    Flask,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import LoginManager, UserMixin, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from engine.org import Holding, LoginRefused, LoginThrottled, authenticate
from web import db
from web.cache import session_user

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


@dataclass
class SessionUser(UserMixin):
    """The logged-in person as the web layer sees them, with today's positions."""

    id: int
    login: str
    full_name: str
    is_admin: bool
    holdings: list[Holding] = field(default_factory=list)

    def get_id(self) -> str:
        return str(self.id)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Inicie sesión para continuar."
    login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> SessionUser | None:
    if not user_id.isdigit():
        return None
    found = session_user(db.database(), int(user_id))
    if found is None:
        return None
    user, held, actor = found
    g.actor = actor  # db.current_actor's
    return SessionUser(user.id, user.login, user.full_name, user.is_admin, held)


class LoginForm(FlaskForm):
    login = StringField("Usuario", validators=[DataRequired("Ingrese su usuario."), Length(max=64)])
    password = PasswordField(
        "Contraseña", validators=[DataRequired("Ingrese su contraseña."), Length(max=256)]
    )


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never an absolute or scheme-relative URL."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("index")


def _check_credentials(login: str, password: str) -> SessionUser:
    """Checks and records the attempt in its own write transaction: a failure is committed
    too (it counts towards throttling)."""
    failure: LoginRefused | LoginThrottled | None = None
    with db.database().write_transaction() as dbs:
        try:
            user = authenticate(dbs, login, password)
        except (LoginRefused, LoginThrottled) as exc:
            failure = exc
        else:
            return SessionUser(user.id, user.login, user.full_name, user.is_admin)
    raise failure


@bp.route("/ingresar", methods=["GET", "POST"])
def login() -> str | Response:
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = _check_credentials(form.login.data or "", form.password.data or "")
        except (LoginRefused, LoginThrottled) as exc:
            flash(str(exc), "error")
            return render_template("auth/login.html", form=form), 401
        session.clear()  # a fresh session on login (no fixation)
        login_user(user)
        return redirect(_safe_next(request.args.get("next")))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/salir", methods=["POST"])
@login_required
def logout() -> Response:
    logout_user()
    session.clear()
    flash("Sesión cerrada.", "info")
    return redirect(url_for("auth.login"))
