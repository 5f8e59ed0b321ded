"""Alembic environment: runs iamd's migrations on the connection it is handed.

`iamd.store.database` opens the transaction, takes the migration lock and
passes the connection in `config.attributes["connection"]`; the migrations
then run inside that transaction. Offline mode (`alembic upgrade --sql`) is
kept so an operator can review or hand-apply the SQL for PostgreSQL.
"""

from __future__ import annotations

from alembic import context

from iamd.store.schema import VERSION_TABLE, metadata

config = context.config

if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("iamd migrations run through iamd.store.database.open_database")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        # SQLite alters tables by copying them; later revisions use
        # op.batch_alter_table, which needs this on SQLite only.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
