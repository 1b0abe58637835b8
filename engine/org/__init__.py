"""The organisation of the Manual de Operaciones: units, positions, lines of authority,
and the people who hold the positions. Entry module: import from here."""

from engine.org.auth import LoginRefused, LoginThrottled, authenticate
from engine.org.chart import (
    Occupant,
    RosterLine,
    UnitSummary,
    list_positions,
    list_units,
    supervisor_chain,
    unit_by_code,
    unit_roster,
    unit_summaries,
)
from engine.org.models import Assignment, LoginAttempt, Position, Unit, User, format_cargo
from engine.org.people import (
    Holding,
    add_user,
    assign,
    get_user,
    holdings,
    list_users,
    position_by_cargo,
    user_by_login,
)
from engine.org.seed import SeedResult, seed_org
from engine.org.tokens import ApiToken, create_token, user_for_token

__all__ = [
    "ApiToken",
    "Assignment",
    "Holding",
    "LoginAttempt",
    "LoginRefused",
    "LoginThrottled",
    "Occupant",
    "Position",
    "RosterLine",
    "SeedResult",
    "Unit",
    "UnitSummary",
    "User",
    "add_user",
    "assign",
    "authenticate",
    "create_token",
    "format_cargo",
    "get_user",
    "holdings",
    "list_positions",
    "list_units",
    "list_users",
    "position_by_cargo",
    "seed_org",
    "supervisor_chain",
    "unit_by_code",
    "unit_roster",
    "unit_summaries",
    "user_by_login",
    "user_for_token",
]
