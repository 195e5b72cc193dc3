"""job runner and callback outbox

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("jobs", sa.Column("mode", sa.String(8), server_default="async", nullable=False))
    op.add_column("jobs", sa.Column("runner", sa.String(128)))
    op.add_column("jobs", sa.Column("notified", sa.String(16)))
    op.add_column(
        "jobs", sa.Column("notify_attempts", sa.Integer, server_default="0", nullable=False)
    )
    op.add_column("jobs", sa.Column("notify_after", sa.DateTime(timezone=True)))
    op.create_index(
        "jobs_open_idx",
        "jobs",
        ["status"],
        postgresql_where=sa.text("status IN ('accepted', 'running')"),
    )


def downgrade() -> None:
    op.drop_index("jobs_open_idx", "jobs")
    for column in ("notify_after", "notify_attempts", "notified", "runner", "mode"):
        op.drop_column("jobs", column)
