"""Ingest: scan folders and lab zips become archived, catalogued rolls."""
