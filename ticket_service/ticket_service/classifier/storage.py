"""Trained models live in the database, so every process and replica uses the same one.

`category_models` holds every version (the shipped model becomes version 1 on first start);
`category_model_training` says how many helpdesk corrections the last claimed retraining
covered. A retraining is due when 20 more corrections exist; exactly one process claims it:
a conditional UPDATE of that row (the claim succeeds only where the count it read is still
there), under `pg_advisory_xact_lock` on PostgreSQL so claims queue instead of racing.
Calls block (SQLAlchemy sync engine): the service makes them in a thread.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, func, insert, select, text, update

from ticket_service.classifier.model import CategoryModel
from ticket_service.database import configure_sqlite_connection, is_sqlite, sync_database_url
from ticket_service.models import CategoryCorrection, CategoryModelTraining, CategoryModelVersion

PACKAGED_MODEL = Path(__file__).with_name("data") / "model.npz"
NOTIFY_CHANNEL = "category_model"
# pg_advisory_xact_lock key of the retraining claim ("CDMT").
_CLAIM_LOCK = 0x43444D54


class ModelStore:
    """The versions of the category model in the ticket database."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.is_postgres = not is_sqlite(database_url)
        self.engine: Engine = create_engine(sync_database_url(database_url), pool_size=2, pool_pre_ping=True)
        if not self.is_postgres:
            event.listen(self.engine, "connect", configure_sqlite_connection)

    def dispose(self) -> None:
        self.engine.dispose()

    def ensure_first_version(self) -> None:
        """Store the shipped model as version 1 if there is no version yet (several may try at once)."""
        with self.engine.connect() as connection:
            if connection.execute(select(func.count()).select_from(CategoryModelVersion)).scalar_one():
                return
        model = CategoryModel.load(PACKAGED_MODEL)
        row = {"version": 1, "trained_at": model.trained_at, "corrections": 0, "weights": model.to_bytes()}
        with self.engine.begin() as connection:
            if self.is_postgres:
                from sqlalchemy.dialects.postgresql import insert as upsert
            else:
                from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
            connection.execute(upsert(CategoryModelVersion).values(row).on_conflict_do_nothing())

    def newest_version(self) -> int:
        with self.engine.connect() as connection:
            newest = connection.execute(select(func.max(CategoryModelVersion.version))).scalar_one()
        return int(newest or 0)

    def load(self, version: int | None = None) -> CategoryModel:
        """A stored version (the newest by default)."""
        query = select(CategoryModelVersion.version, CategoryModelVersion.weights)
        if version is None:
            query = query.order_by(CategoryModelVersion.version.desc()).limit(1)
        else:
            query = query.where(CategoryModelVersion.version == version)
        with self.engine.connect() as connection:
            found, weights = connection.execute(query).one()
        return CategoryModel.from_bytes(weights, version=found)

    def claim_retraining(self, every: int) -> int | None:
        """Claim the retraining that `every` new corrections call for: the correction count it
        covers, or None when none is due or another process claimed it first."""
        with self.engine.begin() as connection:
            if self.is_postgres:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CLAIM_LOCK})
            corrections = connection.execute(select(func.count()).select_from(CategoryCorrection)).scalar_one()
            claimed = connection.execute(
                select(CategoryModelTraining.claimed_corrections).where(CategoryModelTraining.id == 1)
            ).scalar_one()
            if corrections - claimed < every:
                return None
            won = connection.execute(
                update(CategoryModelTraining)
                .where(CategoryModelTraining.id == 1, CategoryModelTraining.claimed_corrections == claimed)
                .values(claimed_corrections=corrections)
            ).rowcount
        return int(corrections) if won == 1 else None

    def save(self, model: CategoryModel) -> int:
        """Store `model` as the next version and tell every process (NOTIFY on PostgreSQL)."""
        with self.engine.begin() as connection:
            if self.is_postgres:
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CLAIM_LOCK})
            newest = connection.execute(select(func.max(CategoryModelVersion.version))).scalar_one() or 0
            version = int(newest) + 1
            connection.execute(
                insert(CategoryModelVersion).values(
                    version=version,
                    trained_at=model.trained_at or datetime.now(UTC),
                    corrections=model.corrections,
                    weights=model.to_bytes(),
                )
            )
            if self.is_postgres:  # delivered at commit
                connection.execute(
                    text("SELECT pg_notify(:channel, :version)"), {"channel": NOTIFY_CHANNEL, "version": str(version)}
                )
        model.version = version
        return version
