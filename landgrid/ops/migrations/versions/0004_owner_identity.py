"""job owners as identities that cannot collide, and the submitter's grants

Owners were a token's raw ``sub`` (or ``anonymous`` in ``open`` mode, which a token with
``sub: anonymous`` could then see). They become ``oidc:`` + SHA-256 of issuer and ``sub``
(``landgrid.auth.principal.identity``); ``anonymous`` stays open mode's local user. The
rewrite needs the issuer, which the caller passes when the deployment has one; a database
that only ever served ``open`` mode has nothing else to rewrite.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import context, op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


# the SQL twin of landgrid.auth.principal.identity (tests/security/test_identity.py)
REWRITE = sa.text(
    "UPDATE jobs SET owner = 'oidc:' || encode(sha256(convert_to("
    "length(:issuer) || ':' || :issuer || E'\\n' || owner, 'UTF8')), 'hex') "
    "WHERE owner <> 'anonymous' AND owner NOT LIKE 'oidc:%'"
)


def upgrade() -> None:
    op.add_column("jobs", sa.Column("grants", JSONB))
    issuer = context.config.attributes.get("oidc_issuer")
    if issuer:
        op.get_bind().execute(REWRITE, {"issuer": issuer.rstrip("/")})


def downgrade() -> None:
    op.drop_column("jobs", "grants")
