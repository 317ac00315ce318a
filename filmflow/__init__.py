"""filmflow: the life of a film roll after the lab."""

__version__ = "0.1.0"
