"""job table

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("process_id", sa.String(128), nullable=False, index=True),
        sa.Column("owner", sa.String(256), nullable=False, index=True),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("message", sa.Text),
        sa.Column("progress", sa.Integer),
        sa.Column("inputs", JSONB, nullable=False),
        sa.Column("requested_outputs", JSONB),
        sa.Column("response", sa.String(16), nullable=False),
        sa.Column("subscriber", JSONB),
        sa.Column("results", JSONB),
        sa.Column("flow_run_id", sa.String(36)),
        sa.Column("idempotency_key", sa.String(256)),
        sa.Column(
            "created", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("started", sa.DateTime(timezone=True)),
        sa.Column("finished", sa.DateTime(timezone=True)),
        sa.Column(
            "updated", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("expires", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("owner", "idempotency_key"),
    )
    op.create_index("jobs_created_idx", "jobs", ["created"])


def downgrade() -> None:
    op.drop_table("jobs")
