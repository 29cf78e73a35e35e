"""Dates that hold when policy moves them: terminations reach cases through their own
table (with individual notices), grants know when they were decided, and cases keep a
birth date, a work permit category and fee due dates.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import tracker.store.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INSTANT = tracker.store.types.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "termination_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("termination_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("applied_at", INSTANT, nullable=False),
        sa.Column("notice_received", sa.Date(), nullable=True),
        sa.Column("notice_recorded_at", INSTANT, nullable=True),
        sa.Column("notice_recorded_by", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["parole_case.id"]),
        sa.ForeignKeyConstraint(["termination_id"], ["program_termination.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("termination_id", "case_id", name="uq_termination_case"),
    )
    with op.batch_alter_table("termination_case") as batch:
        batch.create_index("ix_termination_case_case_id", ["case_id"], unique=False)
        batch.create_index("ix_termination_case_termination_id", ["termination_id"], unique=False)
    # A termination used to reach a case as a grant row: move those links, then drop them.
    op.execute(
        "INSERT INTO termination_case (termination_id, case_id, applied_at) "
        "SELECT termination_id, case_id, MIN(recorded_at) FROM parole_grant "
        "WHERE source = 'program_termination' AND termination_id IS NOT NULL "
        "GROUP BY termination_id, case_id"
    )
    op.execute("DELETE FROM parole_grant WHERE source = 'program_termination'")
    with op.batch_alter_table("parole_grant") as batch:
        batch.drop_index("ix_parole_grant_termination_id")
        batch.drop_column("termination_id")
        batch.add_column(sa.Column("decided_on", sa.Date(), nullable=True))
    with op.batch_alter_table("program_termination") as batch:
        batch.add_column(
            sa.Column("on_notice", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("known_id", sa.String(length=64), nullable=True))
        batch.create_unique_constraint("uq_program_termination_known_id", ["known_id"])
    with op.batch_alter_table("parolee") as batch:
        batch.add_column(sa.Column("birth_date", sa.Date(), nullable=True))
    with op.batch_alter_table("parole_case") as batch:
        batch.add_column(sa.Column("work_permit_category", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("parole_fee_due", sa.Date(), nullable=True))
    with op.batch_alter_table("filing") as batch:
        batch.add_column(sa.Column("fee_notice_due", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("filing") as batch:
        batch.drop_column("fee_notice_due")
    with op.batch_alter_table("parole_case") as batch:
        batch.drop_column("parole_fee_due")
        batch.drop_column("work_permit_category")
    with op.batch_alter_table("parolee") as batch:
        batch.drop_column("birth_date")
    with op.batch_alter_table("program_termination") as batch:
        batch.drop_constraint("uq_program_termination_known_id", type_="unique")
        batch.drop_column("known_id")
        batch.drop_column("on_notice")
    with op.batch_alter_table("parole_grant") as batch:
        batch.drop_column("decided_on")
        batch.add_column(sa.Column("termination_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_parole_grant_termination_id", "program_termination", ["termination_id"], ["id"]
        )
        batch.create_index("ix_parole_grant_termination_id", ["termination_id"], unique=False)
    op.execute(
        "INSERT INTO parole_grant (case_id, start_date, expiry_date, source, termination_id, "
        "recorded_at, recorded_by) SELECT l.case_id, t.notice_date, t.effective_date, "
        "'program_termination', t.id, l.applied_at, 'migration' FROM termination_case l "
        "JOIN program_termination t ON t.id = l.termination_id"
    )
    op.drop_table("termination_case")
