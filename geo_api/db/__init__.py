"""The PostGIS store: the embedded cluster, the engine, the schema and its migrations."""
