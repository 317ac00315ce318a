"""The SQLite catalog: connection, schema, and typed reads/writes of rolls, frames, projects."""
