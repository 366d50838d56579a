"""Retraining the classifier from helpdesk corrections (see issue: categorisation)."""

from __future__ import annotations


class Retrainer:
    """Told about every committed category correction; retrains after enough of them."""

    def __init__(self, corrections_per_retrain: int = 20) -> None:
        self.corrections_per_retrain = corrections_per_retrain
        self.pending_corrections = 0

    async def correction_recorded(self) -> None:
        """Called by the ticket routes after a helpdesk correction has been committed."""
        self.pending_corrections += 1
