"""Alembic environment: runs on the connection handed over by matcher.store.db.upgrade."""

from alembic import context

from matcher.store.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
