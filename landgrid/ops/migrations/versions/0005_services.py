"""services: the beat of each worker and reconciler process, for /health and the stack

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "services",
        sa.Column("runner", sa.String(128), primary_key=True),
        sa.Column("name", sa.String(32), nullable=False, index=True),
        sa.Column("started", sa.DateTime(timezone=True), nullable=False),
        sa.Column("beat", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("services")
