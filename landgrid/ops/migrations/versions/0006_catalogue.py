"""catalogue records: one row per product, product year and published result, searched by
the Records and STAC APIs through the Features query engine

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE catalogue_records (
            id text PRIMARY KEY,
            source text NOT NULL,
            type text NOT NULL,
            title text NOT NULL,
            description text,
            keywords text,
            product text,
            year integer,
            process text,
            job text,
            license text,
            created timestamptz,
            updated timestamptz,
            time_start timestamptz,
            time_end timestamptz,
            geom geometry(Geometry, 4326),
            owner text,
            collection text,
            external_ids text[] NOT NULL DEFAULT '{}',
            search text NOT NULL DEFAULT '',
            stac_kind text,
            stac_collection text,
            record jsonb,
            stac jsonb,
            stamp text NOT NULL
        )
        """
    )
    op.execute("CREATE INDEX catalogue_records_geom ON catalogue_records USING gist (geom)")
    op.execute("CREATE INDEX catalogue_records_time ON catalogue_records (time_start, time_end)")
    op.execute("CREATE INDEX catalogue_records_type ON catalogue_records (type)")
    op.execute("CREATE INDEX catalogue_records_owner ON catalogue_records (owner)")
    op.execute("CREATE INDEX catalogue_records_source ON catalogue_records (source)")
    op.execute(
        "CREATE INDEX catalogue_records_stac ON catalogue_records (stac_kind, stac_collection)"
    )
    # The STAC view: STAC's names for the same columns (what its filters and sorts use).
    op.execute(
        """
        CREATE VIEW catalogue_stac_items AS
        SELECT id, stac_collection AS collection, title, description, keywords, product,
               year, process, job, license, created, updated,
               time_start AS start_datetime, time_end AS end_datetime, geom,
               owner, catalogue_records.collection AS readable_as, stac
        FROM catalogue_records WHERE stac_kind = 'item'
        """
    )


def downgrade() -> None:
    op.execute("DROP VIEW IF EXISTS catalogue_stac_items")
    op.execute("DROP TABLE IF EXISTS catalogue_records")
