"""uscis status: history, poll state per filing, the daily quota, staff notices

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

import tracker.store.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "uscis_quota",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )
    op.create_table(
        "uscis_poll",
        sa.Column("filing_id", sa.Integer(), nullable=False),
        sa.Column("last_polled_at", tracker.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("next_poll_at", tracker.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            ["filing.id"],
        ),
        sa.PrimaryKeyConstraint("filing_id"),
    )
    op.create_table(
        "uscis_status",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("filing_id", sa.Integer(), nullable=False),
        sa.Column("observed_at", tracker.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", tracker.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("form_type", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True),
        sa.Column("status_en", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status_es", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("description_en", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("description_es", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("modified_at", tracker.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "event",
            sa.Enum(
                "received",
                "rfe",
                "appointment",
                "approved",
                "denied",
                "rejected",
                "transferred",
                "other",
                name="uscisevent",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("text_changed", sa.Boolean(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            ["filing.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("uscis_status", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_uscis_status_filing_id"), ["filing_id"], unique=False)

    op.create_table(
        "staff_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("filing_id", sa.Integer(), nullable=True),
        sa.Column("uscis_status_id", sa.Integer(), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "uscis_denied",
                "uscis_rejected",
                "uscis_approved_reparole",
                "uscis_approved",
                "uscis_rfe",
                "uscis_appointment",
                name="noticekind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("created_at", tracker.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", tracker.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["parole_case.id"],
        ),
        sa.ForeignKeyConstraint(
            ["filing_id"],
            ["filing.id"],
        ),
        sa.ForeignKeyConstraint(
            ["uscis_status_id"],
            ["uscis_status.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("uscis_status_id", "kind", name="uq_staff_notice_status_kind"),
    )
    with op.batch_alter_table("staff_notice", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_notice_case_id"), ["case_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_staff_notice_filing_id"), ["filing_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staff_notice", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_notice_filing_id"))
        batch_op.drop_index(batch_op.f("ix_staff_notice_case_id"))

    op.drop_table("staff_notice")
    with op.batch_alter_table("uscis_status", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_uscis_status_filing_id"))

    op.drop_table("uscis_status")
    op.drop_table("uscis_poll")
    op.drop_table("uscis_quota")
