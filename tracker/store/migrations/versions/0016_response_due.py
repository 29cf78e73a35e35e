"""A filing keeps the response date of USCIS's request for evidence or notice of intent to
deny, which kind it was, and whether the person is reminded too (a deadline of its own).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("filing") as batch:
        batch.add_column(sa.Column("response_due", sa.Date(), nullable=True))
        batch.add_column(sa.Column("response_notice", sa.String(length=8), nullable=True))
        batch.add_column(
            sa.Column(
                "response_tells_parolee", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("filing") as batch:
        batch.drop_column("response_tells_parolee")
        batch.drop_column("response_notice")
        batch.drop_column("response_due")
