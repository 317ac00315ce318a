"""Film logs: what phone film-log apps export, read into per-frame capture data.

One reader per format (`exifnotes`, `lightme`, `filmrolls`, `plaincsv`), chosen by content
in `detect`; each returns a `ParsedLog` of plain values (`model`). `importer` pairs a log with
a roll and its frames and writes it in one transaction through `filmflow.catalog.logs`.
"""
