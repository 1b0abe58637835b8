"""The app's one CSRFProtect, shared by the factory and the API blueprint."""

from flask_wtf import CSRFProtect

csrf = CSRFProtect()
