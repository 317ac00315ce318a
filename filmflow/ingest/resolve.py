"""Merge roll metadata by precedence: option > sidecar > folder > exif > default.

Each field keeps its origin so `roll show` can say why a roll is tagged as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from filmflow.catalog.models import Origin
from filmflow.ingest.exif import ScannerInfo
from filmflow.ingest.foldername import FolderInfo
from filmflow.stocks import FilmFormat, Stock, StockCatalog, ei_for_push, push_stops

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resolved:
    """Roll fields with their origins, plus what is not a column (tags, project): a stage value.

    `fields` and `sources` are read-only views; `with_code` gives a new value."""

    fields: Mapping[str, Any]
    sources: Mapping[str, str]
    tags: tuple[str, ...] = ()
    project: str | None = None

    def with_code(self, code: str, origin: Origin) -> "Resolved":
        """The same roll given `code` (the next free one, when nothing named it)."""
        return replace(self, fields=MappingProxyType({**self.fields, "code": code}),
                       sources=MappingProxyType({**self.sources, "code": origin.value}))


class _Draft:
    """The fields being resolved: the first (highest) origin to set a field keeps it."""

    def __init__(self) -> None:
        self.fields: dict[str, Any] = {}
        self.sources: dict[str, str] = {}

    def set(self, key: str, value: Any, origin: Origin) -> None:
        """Set a field unless a higher-precedence origin already did."""
        if value is None or value == "" or key in self.fields:
            return
        self.fields[key] = value
        self.sources[key] = origin.value


def _year(*dates: str | None) -> int | None:
    for d in dates:
        if d and d[:4].isdigit():
            return int(d[:4])
    return None


def resolve(*, options: dict[str, Any], sidecar: dict[str, Any], folder: FolderInfo | None,
            exif: ScannerInfo | None, stocks: StockCatalog, formats: dict[str, FilmFormat],
            folder_date: str = "developed", scan_dates: Sequence[str] = (), source: str | None = None) -> Resolved:
    """Build a roll's fields from every source, highest first.

    `exif` is the roll's first scan's; `scan_dates` the EXIF scan dates of its scans, the
    earliest of which is the roll's scan date (origin exif). `source` is the name the roll
    came from (its `source` field)."""
    r = _Draft()
    _stock(r, options, sidecar, folder, stocks)
    for origin, src in ((Origin.OPTION, options), (Origin.SIDECAR, sidecar)):
        for key in ("code", "ei", "format", "camera", "lens", "developed", "shot_from", "shot_to", "lab",
                    "developer", "scanner", "notes", "title"):
            r.set(key, src.get(key), origin)
    if folder is not None:
        _from_folder(r, folder, folder_date)
    if exif is not None:
        r.set("scanner", exif.scanner, Origin.EXIF)
    dates = sorted(d[:10] for d in [*([exif.scanned] if exif and exif.scanned else []), *scan_dates] if d)
    if dates:
        r.set("scanned", dates[0], Origin.EXIF)
    _push(r)
    _format(r, formats)
    r.fields["year"] = _year(r.fields.get("shot_from"), r.fields.get("developed"), r.fields.get("scanned"))
    if source is not None:
        r.fields["source"] = source
    return Resolved(fields=MappingProxyType(r.fields), sources=MappingProxyType(r.sources),
                    tags=tuple(sidecar.get("tags", [])), project=sidecar.get("project"))


def _stock(r: _Draft, options: dict[str, Any], sidecar: dict[str, Any], folder: FolderInfo | None,
           stocks: StockCatalog) -> None:
    """The stock: options and sidecar name it by alias; keep the catalog's canonical name (and its ISO, process)."""
    stock: Stock | None = None
    for origin, text in ((Origin.OPTION, options.get("stock")), (Origin.SIDECAR, sidecar.get("stock"))):
        if text and "stock" not in r.fields:
            found = stocks.get(text) if origin is Origin.OPTION else stocks.find(text)
            if found is None:
                log.warning("sidecar stock %r is not in the stock catalog; kept as written "
                            "(add it under [stocks] in filmflow.toml to get its ISO and process)", text)
                r.set("stock", str(text), origin)
            else:
                stock = found
                r.set("stock", found.name, origin)
    if "stock" not in r.fields and folder and folder.stock:
        stock = folder.stock
        r.set("stock", stock.name, Origin.FOLDER)
    if stock is not None:
        origin = Origin(r.sources["stock"])
        r.fields.update(stock_key=stock.key, stock_iso=stock.iso, process=stock.process)
        r.sources.update(stock_iso=origin.value, process=origin.value)


def _from_folder(r: _Draft, folder: FolderInfo, folder_date: str) -> None:
    """What the folder name says: code, EI, format, title, a date (developed or shot) and a push."""
    r.set("code", folder.code, Origin.FOLDER)
    r.set("ei", folder.ei, Origin.FOLDER)
    r.set("format", folder.format, Origin.FOLDER)
    r.set("title", folder.title, Origin.FOLDER)
    if folder.date:
        if folder_date == "shot":
            r.set("shot_from", folder.date, Origin.FOLDER)
            r.set("shot_to", folder.date, Origin.FOLDER)
        else:
            r.set("developed", folder.date, Origin.FOLDER)
    if folder.push is not None and "ei" not in r.fields and "push" not in r.fields:
        r.set("push", folder.push, Origin.FOLDER)


def _push(r: _Draft) -> None:
    """Push from EI and box ISO (EI wins over a stated push); box speed when neither is given."""
    iso = r.fields.get("stock_iso")
    if r.fields.get("ei") and iso:
        r.fields["push"] = push_stops(int(r.fields["ei"]), int(iso))
        r.sources["push"] = r.sources["ei"]
    elif "push" in r.fields and iso and "ei" not in r.fields:
        r.fields["ei"] = ei_for_push(int(iso), float(r.fields["push"]))
        r.sources["ei"] = r.sources["push"]
    elif iso and "ei" not in r.fields:
        r.fields["ei"], r.fields["push"] = int(iso), 0.0
        r.sources["ei"] = r.sources["push"] = Origin.DEFAULT.value


def _format(r: _Draft, formats: dict[str, FilmFormat]) -> None:
    """A known format's canonical name and family; an unknown one is kept, with a warning."""
    fmt = r.fields.get("format")
    if fmt:
        known = _match_format(str(fmt), formats)
        if known is None:
            log.warning("format %r is not known; known formats: %s", fmt, ", ".join(formats))
        else:
            r.fields["format"] = known.name
            r.fields["format_family"] = known.family


def _match_format(text: str, formats: dict[str, FilmFormat]) -> FilmFormat | None:
    norm = text.lower().replace(" ", "").replace("×", "x")
    for f in formats.values():
        if norm == f.name.lower() or norm in (a.lower().replace(" ", "") for a in f.aliases):
            return f
    return None


def match_format(text: str, formats: dict[str, FilmFormat]) -> FilmFormat | None:
    """The known format a user's text names ('6X7', '35mm'), or None."""
    return _match_format(text, formats)
