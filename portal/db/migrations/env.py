"""Alembic environment: runs migrations on the engine the portal hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from portal.db.models import Base

config = context.config
engine: Engine = config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite cannot ALTER much
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
