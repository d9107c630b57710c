"""The Alembic environment of the metadata store (run by ``hub.store.migrate``)."""
