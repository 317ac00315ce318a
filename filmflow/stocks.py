"""Film knowledge as data: the built-in stock and format catalogs in config/, plus user additions.

This is the only module that locates the top-level `config/` folder (in a checkout it
sits beside the package; an installed filmflow ships it as `filmflow._config`).

It owns the film formats (config/formats.toml + the user's `[formats]`), the film-stock
catalog (`StockCatalog`: config/film_stocks.toml merged with the user's `[stocks]`, looked
up by alias, closest names and the one "did you mean" hint), finding a stock's alias inside
free text (`find_in_text`, used by the folder-name parser), and the push/EI arithmetic
(`push_stops`, `ei_for_push`, `format_push`). How aliases are folded and found in text is
filmflow.aliases (`normalize_alias` and `find_longest_alias` are re-exported here).
"""

from __future__ import annotations

import difflib
import logging
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from filmflow.aliases import find_longest_alias, normalize_alias  # re-exported: the folder-name parser, tests
from filmflow.errors import ConfigError, NotFoundError

log = logging.getLogger(__name__)


def config_dir() -> Path:
    """The folder of film_stocks.toml, formats.toml, service templates (ConfigError if it is gone)."""
    tried = [Path(__file__).resolve().parent.parent / "config"]  # a checkout run without installing
    try:
        tried.insert(0, Path(str(resources.files("filmflow._config"))))  # a wheel or editable install
    except (ModuleNotFoundError, TypeError):
        pass
    for p in tried:
        if (p / "formats.toml").exists():
            return p
    raise ConfigError(f"filmflow's film data (formats.toml, film_stocks.toml) is missing from "
                      f"{' and '.join(map(str, tried))}; reinstall filmflow (pip install --force-reinstall .).")


def builtin_edit_marks() -> list[str]:
    """The edit-mark patterns of config/edit_marks.toml (filmflow.versions compiles them)."""
    return [str(m) for m in load_toml(config_dir() / "edit_marks.toml").get("marks", [])]


def load_toml(path: Path) -> dict[str, Any]:
    """Read a TOML file, turning a syntax error into a ConfigError naming the file."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML ({e}); fix that line and run again.") from None


@dataclass(frozen=True, slots=True)
class FilmFormat:
    """A film format and its contact-sheet layout (config/formats.toml)."""

    name: str
    family: str
    aspect: float
    frame_w: float
    frame_h: float
    frames_per_strip: int
    rebate: str
    film_width: float
    aliases: tuple[str, ...]


def load_formats(user: dict[str, dict[str, Any]] | None = None) -> dict[str, FilmFormat]:
    """All known formats by name: config/formats.toml, extended or overridden by `user`."""
    raw = load_toml(config_dir() / "formats.toml").get("formats", {})
    for name, fields in (user or {}).items():
        raw[name] = {**raw.get(name, {}), **fields}
    out: dict[str, FilmFormat] = {}
    for name, f in raw.items():
        try:
            out[name] = FilmFormat(
                name=name,
                family=str(f.get("family", name)),
                aspect=float(f["aspect"]),
                frame_w=float(f["frame_w"]),
                frame_h=float(f["frame_h"]),
                frames_per_strip=int(f["frames_per_strip"]),
                rebate=str(f.get("rebate", "plain")),
                film_width=float(f.get("film_width", 61)),
                aliases=tuple(str(a) for a in f.get("aliases", [name])),
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ConfigError(f"format {name!r} is missing or has a bad field ({e}); see config/formats.toml.") from None
    return out


# --------------------------------------------------------------------------- film stocks

PROCESSES = ("C-41", "E-6", "B&W", "ECN-2")
STOCK_TYPES = ("color negative", "color slide", "b&w negative", "b&w slide", "motion picture")
STOCK_FORMATS = ("135", "120", "220", "127", "110", "4x5", "5x7", "8x10")
_DEFAULT_TYPE = {"C-41": "color negative", "E-6": "color slide", "B&W": "b&w negative", "ECN-2": "motion picture"}

# Standard film speeds in third stops: a push stated without an EI lands on one of these.
ISO_STEPS = (
    1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20, 25, 32, 40, 50, 64, 80, 100, 125, 160, 200, 250, 320, 400, 500,
    640, 800, 1000, 1250, 1600, 2000, 2500, 3200, 4000, 5000, 6400, 8000, 10000, 12800, 16000, 20000,
    25600, 32000, 40000, 51200, 64000, 80000, 102400, 204800, 409600,
)


@dataclass(frozen=True, slots=True)
class Stock:
    """One film stock of the catalog (config/film_stocks.toml plus the user's [stocks])."""

    key: str
    manufacturer: str
    name: str
    iso: int
    process: str
    type: str
    formats: tuple[str, ...]
    edge_print: str
    aliases: tuple[str, ...]
    discontinued: bool = False
    respooled: bool = False
    family: str | None = None  # "Portra": `stock:portra` in a query means every stock of it


def push_stops(ei: int, iso: int) -> float:
    """Push (+) or pull (-) in stops for rating a film of box speed `iso` at `ei`, rounded to 1/3 stop."""
    if ei <= 0 or iso <= 0:
        raise ValueError(f"EI {ei} and ISO {iso} must be positive")
    thirds = round(math.log2(ei / iso) * 3)
    return round(thirds / 3, 2) + 0.0


def ei_for_push(iso: int, push: float) -> int:
    """The standard film speed nearest to `iso` pushed by `push` stops (Portra 160 +1 → 320)."""
    target = math.log2(iso) + push
    return min(ISO_STEPS, key=lambda s: abs(math.log2(s) - target))


def _norm_choice(value: Any, choices: tuple[str, ...]) -> str | None:
    folded = normalize_alias(str(value))
    for c in choices:
        if normalize_alias(c) == folded:
            return c
    return None


def _make_stock(key: str, f: Mapping[str, Any], where: str) -> Stock:
    """Validate one [stocks.<key>] table into a Stock; ConfigError naming the key otherwise."""
    def bad(what: str) -> ConfigError:
        return ConfigError(f"film stock {key!r} in {where} {what}; "
                           "fix that entry (see config/film_stocks.toml for the fields).")

    if not isinstance(f, Mapping):
        raise bad("is not a table")
    for field in ("name", "iso", "process"):
        if field not in f:
            raise bad(f"has no {field!r}")
    name = f["name"]
    if not isinstance(name, str) or not name.strip():
        raise bad("has an empty or non-text 'name'")
    iso = f["iso"]
    if isinstance(iso, bool) or not isinstance(iso, int) or iso <= 0:
        raise bad(f"has iso = {iso!r}; it must be a whole number above 0")
    process = _norm_choice(f["process"], PROCESSES)
    if process is None:
        raise bad(f"has process = {f['process']!r}; use one of {', '.join(PROCESSES)}")
    stype = _norm_choice(f.get("type", _DEFAULT_TYPE[process]), STOCK_TYPES)
    if stype is None:
        raise bad(f"has type = {f.get('type')!r}; use one of {', '.join(STOCK_TYPES)}")
    formats = f.get("formats", ["135"])
    if isinstance(formats, str):
        formats = [formats]
    if not isinstance(formats, list) or any(str(x) not in STOCK_FORMATS for x in formats):
        raise bad(f"has formats = {formats!r}; use a list from {', '.join(STOCK_FORMATS)}")
    aliases = f.get("aliases", [])
    if isinstance(aliases, str):
        aliases = [aliases]
    if not isinstance(aliases, list) or not all(isinstance(a, str) and normalize_alias(a) for a in aliases):
        raise bad("has 'aliases' that are not a list of non-empty texts")
    manufacturer = f.get("manufacturer", name.split()[0])
    edge_print = f.get("edge_print", name.upper())
    for field, value in (("manufacturer", manufacturer), ("edge_print", edge_print)):
        if not isinstance(value, str):
            raise bad(f"has a non-text {field!r}")
    flags = {}
    for field in ("discontinued", "respooled"):
        value = f.get(field, False)
        if not isinstance(value, bool):
            raise bad(f"has {field} = {value!r}; use true or false")
        flags[field] = value
    family = f.get("family")
    if family is not None and (not isinstance(family, str) or not normalize_alias(family)):
        raise bad(f"has family = {family!r}; it must be a name such as \"Portra\"")
    return Stock(family=family.strip() if family else None, key=key, manufacturer=manufacturer, name=name.strip(), iso=iso, process=process, type=stype,
                 formats=tuple(str(x) for x in formats), edge_print=edge_print, aliases=tuple(aliases), **flags)


def _names_of(stock: Stock) -> list[str]:
    """Every folded spelling that names `stock`: key, canonical name, aliases."""
    out = []
    for text in (stock.key, stock.name, *stock.aliases):
        folded = normalize_alias(text)
        if folded and folded not in out:
            out.append(folded)
    return out


class StockCatalog:
    """The film stocks filmflow knows, indexed by every folded alias for fast lookups."""

    def __init__(self, stocks: list[Stock], user_keys: frozenset[str] = frozenset(),
                 groups: Mapping[str, Mapping[str, list[str]]] | None = None) -> None:
        self._stocks = {s.key: s for s in stocks}
        # other names of families and makers ([families], [makers]): read by queries only
        self.groups: Mapping[str, Mapping[str, list[str]]] = groups or {}
        self._members: dict[tuple[str, str], list[Stock]] = {}  # ("family", "portra") -> its stocks
        for stock in sorted(stocks, key=lambda s: (s.manufacturer.casefold(), s.name.casefold())):
            for field in ("family", "manufacturer"):
                if getattr(stock, field):
                    self._members.setdefault((field, normalize_alias(getattr(stock, field))), []).append(stock)
        self._index: dict[str, Stock] = {}
        # built-in stocks first, then the user's, so a user's alias takes over a built-in one
        for stock in sorted(stocks, key=lambda s: s.key in user_keys):
            for folded in _names_of(stock):
                other = self._index.get(folded)
                if other is not None and other.key != stock.key:
                    if stock.key in user_keys:
                        log.warning("film stock alias %r of %r replaces the same alias of %r",
                                    folded, stock.key, other.key)
                    else:
                        log.debug("film stock alias %r is claimed by %r and %r; keeping %r",
                                  folded, other.key, stock.key, other.key)
                        continue
                self._index[folded] = stock
        self._max_len = max((len(k) for k in self._index), default=0)

    @classmethod
    def load(cls, user_stocks: dict[str, dict] | None = None) -> StockCatalog:
        """config/film_stocks.toml merged with the user's [stocks] from filmflow.toml.

        A user key that is already built in overrides the fields it names (its aliases are
        added to the built-in ones); a new key adds a stock and needs name, iso and process.
        """
        path = config_dir() / "film_stocks.toml"
        data = load_toml(path)
        raw = data.get("stocks", {})
        stocks = {key: _make_stock(key, fields, str(path)) for key, fields in raw.items()}
        user_keys = set()
        for key, fields in (user_stocks or {}).items():
            key = str(key)
            if not isinstance(fields, Mapping):
                raise ConfigError(f"film stock {key!r} in filmflow.toml is not a table; "
                                  f"write it as [stocks.{key}] with name, iso and process.")
            if key in raw:
                merged = {**raw[key], **fields}
                merged["aliases"] = [*raw[key].get("aliases", []), *_as_list(fields.get("aliases", []))]
            else:
                merged = dict(fields)
            stocks[key] = _make_stock(key, merged, "filmflow.toml")
            user_keys.add(key)
        groups = {k: data.get(k, {}) for k in ("families", "makers")}
        return cls(list(stocks.values()), frozenset(user_keys), groups)

    def all(self) -> list[Stock]:
        """Every stock, by manufacturer then name."""
        return sorted(self._stocks.values(), key=lambda s: (s.manufacturer.casefold(), s.name.casefold()))

    def __len__(self) -> int:
        return len(self._stocks)

    def members(self, field: str, name: str) -> list[Stock]:
        """The stocks whose `field` ("family" or "manufacturer") is `name` (folded), by manufacturer and name."""
        return list(self._members.get((field, normalize_alias(name)), ()))

    def find(self, text: str) -> Stock | None:
        """The stock whose key, name or alias is `text` (case-, separator- and Unicode-form-insensitive), or None."""
        return self._index.get(normalize_alias(text))

    def get(self, text: str) -> Stock:
        """Like find, but an unknown name raises NotFoundError suggesting the closest stocks."""
        stock = self.find(text)
        if stock is not None:
            return stock
        hint = did_you_mean(self, text)
        if hint:
            hint += " (`filmflow stocks` lists them)"
        else:
            hint = "`filmflow stocks` lists the known ones, and [stocks] in filmflow.toml adds your own"
        raise NotFoundError(f"unknown film stock {text!r}; {hint}")

    def closest(self, text: str, n: int = 3) -> list[Stock]:
        """Up to `n` stocks whose aliases look most like `text` (difflib on folded aliases)."""
        folded = normalize_alias(text)
        if not folded:
            return []
        out: list[Stock] = []
        for key in difflib.get_close_matches(folded, list(self._index), n=n * 8, cutoff=0.6):
            stock = self._index[key]
            if stock not in out:
                out.append(stock)
            if len(out) == n:
                break
        return out

    def search(self, text: str) -> list[Stock]:
        """Stocks whose name, manufacturer or an alias contains `text` (`filmflow stocks TEXT`); exact name first."""
        folded = normalize_alias(text)
        if not folded:
            return self.all()
        exact = self._index.get(folded)
        hits = [s for s in self.all()
                if any(folded in k for k in (normalize_alias(s.manufacturer), *_names_of(s)))]
        if exact is not None and exact in hits:
            hits.remove(exact)
            hits.insert(0, exact)
        return hits

    def find_in_text(self, text: str) -> tuple[Stock, int, int] | None:
        """The stock named by the longest alias anywhere in `text`, with its (start, end) span in `text`.

        "000123_Portra400_35mm" → (Kodak Portra 400, 7, 16); "포트라400 서울 산책" → Portra 400;
        "Golden Gate" → None (an alias never matches inside a larger word or number).
        """
        if not text:
            return None
        return find_longest_alias(text, self._index, max_len=self._max_len)

    def matching(self, text: str) -> list[Stock]:
        """Every stock `stock_matches` accepts for `text` (the query language's `stock:` term)."""
        return [s for s in self.all() if stock_matches(s, text)]


def did_you_mean(catalog: StockCatalog, text: str) -> str:
    """The hint for an unknown stock name: 'did you mean Kodak Portra 400, Kodak Portra 160?', or ''.

    One wording for every place that names an unknown stock (`StockCatalog.get`, the query
    language's `stock:` term, `filmflow stocks TEXT`); each adds its own frame around it.
    """
    close = catalog.closest(text)
    return f"did you mean {', '.join(s.name for s in close)}?" if close else ""


def edge_print(catalog: StockCatalog, stock_key: str | None, stock: str | None) -> str | None:
    """What the film's edge says ("KODAK PORTRA 400"), else the stock's name in capitals; None
    without a stock. Contact sheets print it along each strip."""
    if not stock:
        return None
    found = catalog.find(stock_key or stock) or catalog.find(stock)
    return found.edge_print if found is not None and found.edge_print else stock.upper()


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value) if isinstance(value, (list, tuple)) else []


def stock_matches(stock: Stock, text: str) -> bool:
    """Whether `text` names `stock`: one of its aliases, or whole words of its name or manufacturer.

    `stock:portra400` matches Kodak Portra 400 (an alias) but not Portra 400NC; `stock:portra`
    matches every Portra and `stock:kodak` every Kodak (whole words of the name); `stock:400`
    every stock with 400 as a word of its name.
    """
    folded = normalize_alias(text)
    if not folded:
        return False
    if folded in _names_of(stock):
        return True
    for words in (stock.name.split(), stock.manufacturer.split()):
        parts = [normalize_alias(w) for w in words]
        for i in range(len(parts)):
            run = ""
            for part in parts[i:]:
                run += part
                if run == folded:
                    return True
                if len(run) >= len(folded):
                    break
    return False


def format_push(push: float | None) -> str | None:
    """Push/pull stops as a photographer writes them.

    Examples: 1 → '+1', -1 → '-1', 0.33 → '+1/3', 0.67 → '+2/3', 1.33 → '+1 1/3', 0 → None.
    """
    if not push:
        return None
    thirds = round(abs(push) * 3)
    if thirds == 0:
        return None
    whole, rest = divmod(thirds, 3)
    sign = "+" if push > 0 else "-"
    frac = f"{rest}/3" if rest else ""
    if whole and frac:
        return f"{sign}{whole} {frac}"
    return f"{sign}{whole or frac}"
