"""Fixity: `verify` (is every archived file there and unchanged; repair what can be repaired)
and `status` (what the library, the watcher and the inbox are doing, and what waits)."""
