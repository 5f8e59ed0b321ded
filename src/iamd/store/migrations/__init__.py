"""Alembic migrations for iamd's schema, shipped inside the package.

`iamd.store.database` runs them programmatically (no alembic.ini): each
revision in `versions/` is written by hand and frozen once released; it does
not import `iamd.store.schema`, whose tables describe only the newest state.
"""
