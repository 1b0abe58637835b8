"""The programme's calendar day: Peru (America/Lima, UTC-5, no daylight saving)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

LIMA = ZoneInfo("America/Lima")


def today() -> date:
    return datetime.now(LIMA).date()
