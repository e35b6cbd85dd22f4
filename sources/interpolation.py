"""``${NAME}`` and ``${NAME:-default}`` in configuration strings, filled from a given mapping.

The mapping is passed in (the composition root hands over the environment once), so this
module reads no environment itself. A default may hold references of its own
(``${ERP_DSN:-sqlite+aiosqlite:///${CONFIG_DIR}/erp.sqlite}``); ``$$`` is a literal ``$``.
A reference to a name that is not set and has no default is an error, so a missing secret
stops the start-up instead of being sent as an empty string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class InterpolationError(ValueError):
    """A reference to an unset variable, or an unterminated ``${``."""


def interpolate(text: str, variables: Mapping[str, str]) -> str:
    value, end = _expand(text, 0, variables, inside=False)
    assert end == len(text)
    return value


def interpolate_all(value: object, variables: Mapping[str, str]) -> object:
    """Every string in a parsed TOML document (nested tables and arrays too), interpolated."""
    if isinstance(value, str):
        return interpolate(value, variables)
    if isinstance(value, dict):
        return {key: interpolate_all(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate_all(item, variables) for item in value]
    return value


def _expand(text: str, start: int, variables: Mapping[str, str], *, inside: bool) -> tuple[str, int]:
    """Expand from ``start`` to the end, or up to the ``}`` that closes a default when ``inside``."""
    out: list[str] = []
    index = start
    while index < len(text):
        char = text[index]
        if inside and char == "}":
            return "".join(out), index
        if char != "$":
            out.append(char)
            index += 1
            continue
        if text.startswith("$$", index):
            out.append("$")
            index += 2
            continue
        if not text.startswith("${", index):
            out.append(char)
            index += 1
            continue
        name_match = _NAME.match(text, index + 2)
        if name_match is None:
            raise InterpolationError(f"bad variable reference at {text[index : index + 20]!r}")
        name = name_match.group()
        after = name_match.end()
        if text.startswith("}", after):
            if name not in variables:
                raise InterpolationError(f"variable {name} is not set (and ${{{name}}} has no default)")
            out.append(variables[name])
            index = after + 1
        elif text.startswith(":-", after):
            default, close = _expand(text, after + 2, variables, inside=True)
            if close >= len(text):
                raise InterpolationError(f"unterminated ${{{name}:-...")
            given = variables.get(name, "")
            out.append(given if given else default)
            index = close + 1
        else:
            raise InterpolationError(f"bad variable reference ${{{name}...: expected }} or :-")
    if inside:
        return "".join(out), len(text)
    return "".join(out), index
