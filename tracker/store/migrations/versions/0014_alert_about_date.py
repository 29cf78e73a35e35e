"""An alert's date is named for what it holds: `about_date`, the date the message is
about (a reminder's act-by date, the end of parole for a welcome or a date change, the day
a USCIS decision was seen), no longer `deadline_date`, which only reminders have.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.alter_column("deadline_date", new_column_name="about_date")


def downgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.alter_column("about_date", new_column_name="deadline_date")
