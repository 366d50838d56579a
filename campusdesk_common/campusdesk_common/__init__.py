"""Shared building blocks of the CampusDesk services (imported, never run)."""
