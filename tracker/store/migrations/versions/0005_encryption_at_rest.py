"""encryption at rest: personal fields become ciphertext, looked up by blind indexes

Existing plaintext stays readable only to `tracker keys rotate`, which `tracker db
upgrade` runs right after this migration to encrypt it and fill the indexes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
import sqlmodel.sql.sqltypes
from alembic import op

import tracker.store.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "parolee_name_word",
        sa.Column("parolee_id", sa.Integer(), nullable=False),
        sa.Column("word_index", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["parolee_id"],
            ["parolee.id"],
        ),
        sa.PrimaryKeyConstraint("parolee_id", "word_index"),
    )
    with op.batch_alter_table("parolee_name_word", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_parolee_name_word_word_index"), ["word_index"], unique=False
        )

    with op.batch_alter_table("alert", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recipient_index", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.alter_column(
            "recipient", existing_type=sa.VARCHAR(length=20), type_=sa.Text(), nullable=True
        )
        batch_op.alter_column("body", existing_type=sa.VARCHAR(), type_=sa.Text(), nullable=True)
        batch_op.drop_constraint(batch_op.f("uq_alert_key"), type_="unique")
        batch_op.create_unique_constraint(
            "uq_alert_key", ["case_id", "kind", "deadline_date", "offset_days", "recipient_index"]
        )

    with op.batch_alter_table("inbound_message", schema=None) as batch_op:
        batch_op.alter_column(
            "body", existing_type=sa.VARCHAR(), type_=sa.Text(), existing_nullable=True
        )
        batch_op.alter_column(
            "reply", existing_type=sa.VARCHAR(), type_=sa.Text(), existing_nullable=True
        )

    with op.batch_alter_table("parole_case", schema=None) as batch_op:
        batch_op.alter_column(
            "notes", existing_type=sa.VARCHAR(), type_=sa.Text(), existing_nullable=True
        )

    with op.batch_alter_table("parole_grant", schema=None) as batch_op:
        batch_op.alter_column(
            "note", existing_type=sa.VARCHAR(), type_=sa.Text(), existing_nullable=True
        )

    with op.batch_alter_table("parolee", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("phone_index", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(
            sa.Column("a_number_index", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(
            sa.Column("erased_at", tracker.store.types.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.alter_column(
            "full_name",
            existing_type=sa.VARCHAR(length=200),
            type_=sa.Text(),
            existing_nullable=False,
        )
        batch_op.alter_column(
            "phone", existing_type=sa.VARCHAR(length=20), type_=sa.Text(), existing_nullable=True
        )
        batch_op.alter_column(
            "a_number", existing_type=sa.VARCHAR(length=9), type_=sa.Text(), existing_nullable=True
        )
        batch_op.drop_index(batch_op.f("ix_parolee_phone"))
        batch_op.create_index(
            batch_op.f("ix_parolee_a_number_index"), ["a_number_index"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_parolee_phone_index"), ["phone_index"], unique=False)


def downgrade() -> None:
    # Going back would need the data keys to decrypt, and the old columns are too narrow
    # for ciphertext: restore the backup taken before the upgrade instead.
    raise NotImplementedError("0005 cannot be undone in place: restore a backup instead")
