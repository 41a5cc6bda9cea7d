"""Alembic environment: migrations run on the engine the store hands over (never on a URL in a file)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine
from sqlmodel import SQLModel

import core.models
import core.sync.models  # noqa: F401

engine: Engine = context.config.attributes["engine"]

with engine.connect() as connection:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Batch mode rebuilds a SQLite table by copying it and dropping the old one, which foreign keys
        # pointing at it (variant → product) forbid. The pragma works only outside a transaction, so it is
        # set first, and set back before the connection returns to the pool.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            render_as_batch=True,  # SQLite alters tables by copying them; batch mode does that for us
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        if sqlite:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
