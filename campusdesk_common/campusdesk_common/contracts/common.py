"""Types every contract module shares."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import PlainSerializer, WithJsonSchema


def _iso(moment: datetime) -> str:
    return moment.isoformat()


# ISO 8601 with an explicit UTC offset ("+00:00").
Timestamp = Annotated[
    datetime,
    PlainSerializer(_iso, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]
