"""The catalog schema version: how many migrations catalog/schema.py defines.

Kept apart from schema.py so opening an up-to-date catalog (PRAGMA user_version) does
not import sqlite-utils at all; tests check it equals the number of migrations.
"""

SCHEMA_VERSION = 12
