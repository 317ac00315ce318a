"""What `stock:TEXT` in a query means: one stock, a family, a maker, or words of stock names.

SPEC: an exact alias is that stock; a family or a maker is every stock of it. The
order below makes the family win where one word is both (bare "Portra" is an alias of
Portra 400 for folder names, but `stock:portra` is every Portra):

    stock:portra400     the stock Kodak Portra 400 (an exact alias)
    stock:portra        family Portra (every stock with family = "Portra")
    stock:포트라         family Portra (a name in [families] of config/film_stocks.toml)
    stock:hp5           family HP5
    stock:kodak         maker Kodak (every stock with manufacturer = "Kodak")
    stock:코닥           maker Kodak ([makers])
    stock:400           the stocks with 400 as a word of their name (`stock_matches`)
"""

from __future__ import annotations

from dataclasses import dataclass

from filmflow.stocks import Stock, StockCatalog, normalize_alias

SHOWN_NAMES = 12  # a description lists this many stock names, then "and N more"


@dataclass(frozen=True, slots=True)
class StockChoice:
    """The stocks a `stock:` term means, and how it was read ('stock', 'family', 'maker', 'words')."""

    stocks: tuple[Stock, ...]
    kind: str
    label: str

    @property
    def keys(self) -> tuple[str, ...]:
        """The stocks' catalog keys (what rolls store in `stock_key`)."""
        return tuple(s.key for s in self.stocks)

    def describe(self) -> str:
        """'stock is Kodak Portra 400', 'stock is of the Portra family (Kodak Portra 160, ...)', ..."""
        if self.kind == "stock":
            return f"stock is {self.stocks[0].name}"
        names = [s.name for s in self.stocks]
        shown = ", ".join(names[:SHOWN_NAMES])
        if len(names) > SHOWN_NAMES:
            shown += f" and {len(names) - SHOWN_NAMES} more"
        what = {"family": f"of the {self.label} family", "maker": f"made by {self.label}",
                "words": f"named with {self.label!r}"}[self.kind]
        return f"stock is {what} ({shown})"


def _group(catalog: StockCatalog, text: str, field: str, table: str) -> tuple[str, list[Stock]] | None:
    """The family (or maker) `text` names, by its own name or a name in [families] ([makers]), and its stocks."""
    folded = normalize_alias(text)
    for name, others in catalog.groups.get(table, {}).items():
        if folded in {normalize_alias(n) for n in others}:
            text = name
            break
    stocks = catalog.members(field, text)
    return (getattr(stocks[0], field), stocks) if stocks else None


def choose_stocks(catalog: StockCatalog, text: str) -> StockChoice | None:
    """The stocks `stock:TEXT` means (see the module docstring), or None when nothing matches."""
    folded = normalize_alias(text)
    if not folded:
        return None
    for field, table, kind in (("family", "families", "family"), ("manufacturer", "makers", "maker")):
        found = _group(catalog, text, field, table)
        if found is not None:
            return StockChoice(tuple(found[1]), kind, found[0])
    exact = catalog.find(text)
    if exact is not None:
        return StockChoice((exact,), "stock", exact.name)
    words = catalog.matching(text)
    if words:
        return StockChoice(tuple(words), "words", text.strip())
    return None
