"""job heartbeat (liveness of the process running a job, wherever it runs) and the last
status of a sync job recorded in Prefect

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("heartbeat", sa.DateTime(timezone=True)))
    op.add_column("jobs", sa.Column("mirrored", sa.String(16)))


def downgrade() -> None:
    op.drop_column("jobs", "mirrored")
    op.drop_column("jobs", "heartbeat")
