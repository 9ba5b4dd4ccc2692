"""Plugin options: the option-model base class, `-o KIND.KEY=VALUE` and TOML config parsing.

Everything the user typed is validated here, before anything is built, and every bad field
becomes one line of an `OptionsError`.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from slrbench.errors import OptionsError, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


class PluginConfig(BaseModel):
    """Base of every plugin's option model: typed, ranged, described, no unknown keys."""

    # Infinity and NaN are refused in every float option: no option means anything by them, and a
    # learning rate or an epsilon of inf trains to NaN (a plugin that wants "no limit" uses None).
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False)


def parse_value(text: str) -> Any:
    """A command-line value as TOML would read it (numbers, booleans, lists); else the string."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def parse_assignments(assignments: list[str], kinds: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Turn `["smoother.epsilon=0.1", ...]` into `{"smoother": {"epsilon": 0.1}}`.

    `kinds` maps every accepted spelling (singular or plural) to the singular name. Every malformed
    assignment is reported, one line each (`OptionsError`).
    """
    options: dict[str, dict[str, Any]] = {}
    problems: list[str] = []
    for assignment in assignments:
        target, sep, value = assignment.partition("=")
        kind_text, dot, key = target.strip().partition(".")
        if not sep or not dot or not key or not kind_text:
            problems.append(f"option '{assignment}' must look like KIND.KEY=VALUE (e.g. smoother.epsilon=0.1)")
        elif kind_text not in kinds:
            problems.append(f"option '{assignment}': unknown kind '{kind_text}'; use one of "
                            f"{', '.join(sorted(set(kinds.values())))}")
        else:
            options.setdefault(kinds[kind_text], {})[key] = parse_value(value.strip())
    if problems:
        raise OptionsError(problems)
    return options


def load_config_file(path: Path) -> dict[str, Any]:
    """Read a TOML run configuration (top-level run settings, one table per plugin kind)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"config file {path} does not exist") from None
    except OSError as error:
        raise UsageError(f"config file {path} cannot be read: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise UsageError(f"config file {path} is not a text file (not UTF-8); a config is TOML text") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"config file {path} is not valid TOML: {error}") from None


def validate_options(config_class: type[PluginConfig], values: dict[str, Any], prefix: str) -> PluginConfig:
    """Build the option model or raise `OptionsError` with one line per bad field."""
    try:
        return config_class(**values)
    except ValidationError as error:
        raise OptionsError(validation_problems(error, prefix, config_class)) from None


def validation_problems(error: ValidationError, prefix: str, model: type[BaseModel]) -> list[str]:
    """One line per bad field: `prefix.field: what is wrong (got value)`."""
    return [_describe_problem(problem, prefix, model) for problem in error.errors()]


def _describe_problem(problem: dict[str, Any], prefix: str, model: type[BaseModel]) -> str:
    field = ".".join(str(part) for part in problem["loc"]) or "(options)"
    where = f"{prefix}.{field}"
    if problem["type"] == "extra_forbidden":
        known = ", ".join(model.model_fields) or "none"
        return f"{where}: unknown option; known options: {known}"
    message = problem["msg"]
    for verbose, short in (("Input should be", "must be"), ("Value error, ", ""), ("Input ", "value ")):
        message = message.replace(verbose, short)
    message = message[:1].lower() + message[1:]
    if problem["type"] == "missing":
        return f"{where}: required option is missing"
    return f"{where}: {message} (got {problem.get('input')!r})"


def describe_options(config_class: type[PluginConfig]) -> list[dict[str, Any]]:
    """Each option's name, type, default, constraints and description, for listings and docs."""
    schema = config_class.model_json_schema()
    described = []
    for name, field_info in config_class.model_fields.items():
        properties = schema.get("properties", {}).get(name, {})
        described.append({
            "name": name,
            "type": _schema_type(properties),
            "required": field_info.is_required(),
            "default": None if field_info.is_required() else _jsonable(field_info.get_default(call_default_factory=True)),
            "constraints": _constraints(properties),
            "description": field_info.description or "",
        })
    return described


def _schema_type(properties: dict[str, Any]) -> str:
    if "anyOf" in properties:
        return " | ".join(_schema_type(option) for option in properties["anyOf"])
    kind = properties.get("type", "any")
    if kind == "array" and "items" in properties:
        return f"list[{_schema_type(properties['items'])}]"
    if "enum" in properties:
        return " | ".join(repr(value) for value in properties["enum"])
    if properties.get("format") == "path":
        return "path"
    return {"number": "float", "integer": "int", "boolean": "bool", "string": "str", "null": "none"}.get(kind, kind)


def _constraints(properties: dict[str, Any]) -> str:
    symbols = {"minimum": "≥", "exclusiveMinimum": ">", "maximum": "≤", "exclusiveMaximum": "<"}
    if "anyOf" in properties:
        return ", ".join(filter(None, (_constraints(option) for option in properties["anyOf"])))
    return ", ".join(f"{symbol}{properties[key]}" for key, symbol in symbols.items() if key in properties)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    return str(value)
