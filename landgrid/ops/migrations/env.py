"""Alembic environment: the URL comes from the caller (``landgrid.ops.migrate``), never a file."""

from alembic import context
from sqlalchemy import create_engine

from landgrid.jobs.model import Base

url = context.config.get_main_option("sqlalchemy.url")
connectable = create_engine(url)
with connectable.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata)
    with context.begin_transaction():
        context.run_migrations()
