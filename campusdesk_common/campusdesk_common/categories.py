"""The ticket categories every service speaks of, in their fixed display order."""

from __future__ import annotations

CATEGORIES = ("facility_management", "technical_it", "services_complaints")
