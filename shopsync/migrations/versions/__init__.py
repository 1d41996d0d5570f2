"""Alembic revisions of the store, one file each (``NNNN_what.py``, revision id ``NNNN``)."""
