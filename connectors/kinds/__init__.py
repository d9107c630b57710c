"""The built-in connector kinds: ``sql``, ``rest`` and ``files``."""
