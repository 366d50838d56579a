"""category models in the database

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02

Trained category models live in the database, so every process and replica uses the same one
(issue 16.1): `category_models` keeps each version (when it was trained, from how many helpdesk
corrections, and its weights as the bytes of an .npz file); `category_model_training` is one row
saying how many corrections the last claimed retraining covered, so exactly one process claims
each retraining. The shipped model becomes version 1 when the service first starts (the file
belongs to the application, which a migration must not import).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "category_models",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("trained_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("corrections", sa.Integer(), nullable=False),
        sa.Column("weights", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_category_models_version")),
        sa.CheckConstraint("corrections >= 0", name=op.f("ck_category_models_corrections")),
        sa.PrimaryKeyConstraint("version", name=op.f("pk_category_models")),
    )
    training = op.create_table(
        "category_model_training",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("claimed_corrections", sa.Integer(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_category_model_training_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_model_training")),
    )
    op.bulk_insert(training, [{"id": 1, "claimed_corrections": 0}])


def downgrade() -> None:
    op.drop_table("category_model_training")
    op.drop_table("category_models")
