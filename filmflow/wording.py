"""Counts in words for people: "1 roll", "2 rolls", "+1 stop", "+1 2/3 stops", "1 day".

The one place a count meets its noun, so no message says "1 rolls". A count of at most
one (1, 1/3, 2/3 of a stop) takes the singular; zero and more than one the plural.
"""

from __future__ import annotations

from fractions import Fraction

IRREGULAR = {"copy": "copies", "index": "indexes"}


def noun(n: float, singular: str, plural: str | None = None) -> str:
    """The noun for `n` of them: noun(1, 'roll') -> 'roll', noun(2, 'roll') -> 'rolls', noun(0, 'day') -> 'days'."""
    if 0 < abs(n) <= 1:
        return singular
    return plural or IRREGULAR.get(singular, singular + "s")


def count(n: float, singular: str, plural: str | None = None) -> str:
    """'1 roll', '1,204 frames', '2.5 days' (thousands separated, floats as short as they go)."""
    number = f"{n:,}" if isinstance(n, int) else f"{n:,g}"
    return f"{number} {noun(n, singular, plural)}"


def stops(text: str) -> str:
    """A push/pull written as photographers do, with its noun: '+1' -> '+1 stop', '+1 2/3' -> '+1 2/3 stops'."""
    try:
        value = sum(Fraction(part) for part in text.strip().lstrip("+-").split())
    except (ValueError, ZeroDivisionError):
        return f"{text} stops"
    return f"{text} {noun(float(value), 'stop')}"
