"""Password hashing (Argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from engine.errors import ValidationError

_hasher = PasswordHasher()
MIN_LENGTH = 10
_COMMON = {
    "password123",
    "contraseña1",
    "contrasena1",
    "1234567890",
    "qwerty1234",
    "juntos2026",
    "juntos12345",
    "peru123456",
    "admin12345",
    "abcdefghij1",
}


def check_policy(password: str, login: str) -> None:
    """Raises ValidationError('password', why) for a weak password."""
    if len(password) < MIN_LENGTH:
        raise ValidationError("password", f"debe tener al menos {MIN_LENGTH} caracteres")
    if password.lower() in _COMMON:
        raise ValidationError("password", "es una contraseña demasiado común")
    if login and login.lower() in password.lower():
        raise ValidationError("password", "no debe contener el nombre de usuario")
    has_letter = any(c.isalpha() for c in password)
    has_other = any(not c.isalpha() for c in password)
    if not (has_letter and has_other):
        raise ValidationError("password", "debe combinar letras con números o símbolos")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def dummy_verify() -> None:
    """Spends the time of a real check, so unknown logins cannot be told apart by timing."""
    verify_password(_DUMMY_HASH, "not-the-password")


_DUMMY_HASH = _hasher.hash("dummy-password-for-timing")
