"""Messages written when they are sent: an alert keeps what its text is about (`params`)
and its body only once it goes; and per language, whether to send the machine-drafted
translation or English until a native speaker has reviewed it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.store.types

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTANT = tracker.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.add_column(sa.Column("params", sa.Text(), nullable=True))
    op.create_table(
        "language_choice",
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("english_instead", sa.Boolean(), nullable=False),
        sa.Column("changed_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("language"),
    )


def downgrade() -> None:
    op.drop_table("language_choice")
    with op.batch_alter_table("alert") as batch:
        batch.drop_column("params")
