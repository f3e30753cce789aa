"""Config values checked against what each setting takes (the type hints of the dataclass or constructor that
receives them), so that `train.epochs=abc` is one sentence and not a traceback from deep inside torch.

A setting hinted `float` also takes a whole number and a number written as text (PyYAML reads `1e-3` as text);
both are converted. Containers (`list[...]`, `dict[...]`) are checked for their kind only: the code that reads
them checks their items."""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from typing import Any

from h2ot.errors import H2OTError

_NAMES = {int: "a whole number", float: "a number", bool: "true or false", str: "a string", list: "a list",
          dict: "a mapping", type(None): "null"}
_WRONG = object()  # what _convert returns for a value of the wrong type


def type_hints(target: type | Callable) -> dict[str, Any]:
    """The type hints of a dataclass's fields, or of a function's (or a class constructor's) parameters."""
    if dataclasses.is_dataclass(target):
        return typing.get_type_hints(target)
    return typing.get_type_hints(target.__init__ if isinstance(target, type) else target)


def check_types(section: str, values: dict[str, Any], hints: dict[str, Any]) -> dict[str, Any]:
    """`values` with floats converted, after checking each one that has a hint against it."""
    checked = dict(values)
    for name, value in values.items():
        hint = hints.get(name)
        if hint is None:
            continue
        converted = _convert(value, hint)
        if converted is _WRONG:
            raise H2OTError(f"the {section} setting {name} takes {describe(hint)}, got {value!r}")
        checked[name] = converted
    return checked


def describe(hint: Any) -> str:
    """`int | None` -> "a whole number or null"."""
    options = typing.get_args(hint) if _is_union(hint) else (hint,)
    names = [_NAMES.get(typing.get_origin(option) or option, str(option)) for option in options]
    return " or ".join(dict.fromkeys(names))


def _is_union(hint: Any) -> bool:
    return typing.get_origin(hint) in (typing.Union, types.UnionType)


def _convert(value: Any, hint: Any) -> Any:
    if hint is Any:
        return value
    if _is_union(hint):
        for option in typing.get_args(hint):
            converted = _convert(value, option)
            if converted is not _WRONG:
                return converted
        return _WRONG
    kind = typing.get_origin(hint) or hint
    if kind is type(None):
        return value if value is None else _WRONG
    if kind is float:
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return _WRONG
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else _WRONG
    if kind is int:
        return value if isinstance(value, int) and not isinstance(value, bool) else _WRONG
    if kind in (bool, str, list, dict):
        return value if isinstance(value, kind) else _WRONG
    return value
