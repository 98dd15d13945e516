"""The ``mt-datasets`` command line: ``cli`` (the entry point), ``registry`` (``@command``), ``generate``."""
