"""Migration scripts, one per schema revision (``NNNN_slug.py``)."""
