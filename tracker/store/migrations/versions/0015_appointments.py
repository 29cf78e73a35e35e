"""Appointments (biometrics, USCIS interviews, court hearings) with their status history;
a deadline may carry the instant an appointment starts; an alert's deadline slot is part
of its key ("" for messages about no deadline), so two appointments of one kind on one
day each get their reminders.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.store.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTANT = tracker.store.types.UTCDateTime(timezone=True)
OLD_KEY = ["case_id", "kind", "about_date", "offset_days", "recipient_index"]


def upgrade() -> None:
    op.create_table(
        "appointment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("local_start", sa.DateTime(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("starts_at", INSTANT, nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("place", sa.String(length=120), nullable=False),
        sa.Column("source_notice", sa.String(length=60), nullable=True),
        sa.Column("source_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("replaced_by_id", sa.Integer(), nullable=True),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("updated_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["parole_case.id"]),
        sa.ForeignKeyConstraint(["replaced_by_id"], ["appointment.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appointment") as batch:
        batch.create_index("ix_appointment_case_id", ["case_id"], unique=False)
        batch.create_index("ix_appointment_status_start", ["status", "starts_at"], unique=False)
    op.create_table(
        "appointment_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column("changed_at", INSTANT, nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointment.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("appointment_change") as batch:
        batch.create_index("ix_appointment_change_appointment_id", ["appointment_id"], unique=False)
    with op.batch_alter_table("deadline") as batch:
        batch.add_column(sa.Column("starts_at", INSTANT, nullable=True))
    op.execute("UPDATE alert SET deadline_slot = '' WHERE deadline_slot IS NULL")
    with op.batch_alter_table("alert") as batch:
        batch.alter_column(
            "deadline_slot",
            existing_type=sa.String(length=80),
            nullable=False,
            server_default="",
        )
        batch.drop_constraint("uq_alert_key", type_="unique")
        batch.create_unique_constraint("uq_alert_key", [*OLD_KEY, "deadline_slot"])


def downgrade() -> None:
    with op.batch_alter_table("alert") as batch:
        batch.drop_constraint("uq_alert_key", type_="unique")
        batch.create_unique_constraint("uq_alert_key", OLD_KEY)
        batch.alter_column(
            "deadline_slot", existing_type=sa.String(length=80), nullable=True, server_default=None
        )
    op.execute("UPDATE alert SET deadline_slot = NULL WHERE deadline_slot = ''")
    with op.batch_alter_table("deadline") as batch:
        batch.drop_column("starts_at")
    op.drop_table("appointment_change")
    op.drop_table("appointment")
