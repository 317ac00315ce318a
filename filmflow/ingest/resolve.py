"""Merge roll metadata by precedence: option > sidecar > folder > exif > default.

Each field keeps its origin so `roll show` can say why a roll is tagged as it is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from filmflow.catalog.models import Origin
from filmflow.ingest.exif import ScannerInfo
from filmflow.ingest.foldername import FolderInfo
from filmflow.stocks import FilmFormat, Stock, StockCatalog, ei_for_push, push_stops

log = logging.getLogger(__name__)


@dataclass
class Resolved:
    """Roll fields with their origins, plus what is not a column (tags, project)."""

    fields: dict[str, Any] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    project: str | None = None

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
            folder_date: str = "developed") -> Resolved:
    """Build a roll's fields from every source, highest first."""
    r = Resolved()
    # stock: options and sidecar name it by alias; keep the catalog's canonical name
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

    for origin, src in ((Origin.OPTION, options), (Origin.SIDECAR, sidecar)):
        for key in ("code", "ei", "format", "camera", "lens", "developed", "shot_from", "shot_to", "lab",
                    "developer", "scanner", "notes", "title"):
            r.set(key, src.get(key), origin)
    if folder is not None:
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
    if exif is not None:
        r.set("scanner", exif.scanner, Origin.EXIF)
        if exif.scanned:
            r.set("scanned", exif.scanned[:10], Origin.EXIF)

    # push from EI and box ISO (EI wins over a stated push)
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

    fmt = r.fields.get("format")
    if fmt:
        known = _match_format(str(fmt), formats)
        if known is None:
            log.warning("format %r is not known; known formats: %s", fmt, ", ".join(formats))
        else:
            r.fields["format"] = known.name
            r.fields["format_family"] = known.family
    r.fields["year"] = _year(r.fields.get("shot_from"), r.fields.get("developed"), r.fields.get("scanned"))
    r.tags = list(sidecar.get("tags", []))
    r.project = sidecar.get("project")
    return r


def _match_format(text: str, formats: dict[str, FilmFormat]) -> FilmFormat | None:
    norm = text.lower().replace(" ", "").replace("×", "x")
    for f in formats.values():
        if norm == f.name.lower() or norm in (a.lower().replace(" ", "") for a in f.aliases):
            return f
    return None


def match_format(text: str, formats: dict[str, FilmFormat]) -> FilmFormat | None:
    """The known format a user's text names ('6X7', '35mm'), or None."""
    return _match_format(text, formats)
