"""Typed models of the official annotation files (WLASL, MS-ASL) and the collector of their problems.

Each entry is validated on its own, so that every problem becomes one line naming the file, the
entry and the field (`WLASL_v0.3.json: gloss 3 'book', instance 2: video_id: required field is
missing`); up to MAX_PROBLEMS lines are shown, then "and K more". Fields the readers do not use
are allowed (the official files carry many). Gloss rules, the same for every dataset:
a missing, empty or non-string gloss and a gloss that names two classes are errors; a gloss that is
only digits is a counted warning (word embedders read it as a number, not as a sign's word).
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from slrbench.errors import UsageError

MAX_PROBLEMS = 20


class AnnotationError(UsageError):
    """Problems of one or more annotation files, one line each (exit code 2)."""

    def __init__(self, problems: list[str]):
        shown = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_PROBLEMS} more problem(s) in the annotations")
        super().__init__("; ".join(shown))
        self.problems = shown

    def lines(self) -> list[str]:
        return list(self.problems)


class Problems:
    """Collects `file: entry: field: message` lines; `raise_if_any` ends the reading with all of them."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, path: Path, entry: str, message: str) -> None:
        self.lines.append(f"{path}: {entry}: {message}" if entry else f"{path}: {message}")

    def validate(self, model: type[BaseModel], value: Any, path: Path, entry: str) -> Optional[BaseModel]:
        """`model` of `value`, or None after one line per bad field."""
        if not isinstance(value, dict):
            self.add(path, entry, f"expected an object, got {_kind(value)}")
            return None
        try:
            return model.model_validate(value)
        except ValidationError as error:
            for problem in error.errors():
                field = ".".join(str(part) for part in problem["loc"]) or "(entry)"
                if problem["type"] == "missing":
                    self.add(path, entry, f"{field}: required field is missing")
                else:
                    message = problem["msg"].replace("Input should be", "must be").replace("Value error, ", "")
                    self.add(path, entry, f"{field}: {message} (got {_short(problem.get('input'))})")
            return None

    def raise_if_any(self) -> None:
        if self.lines:
            raise AnnotationError(self.lines)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(type(value), type(value).__name__)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Entry(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class WlaslInstance(_Entry):
    video_id: Union[StrictStr, StrictInt]
    split: Literal["train", "val", "dev", "test"]
    frame_start: StrictInt = Field(1, ge=1, description="1-based first frame")
    frame_end: StrictInt = Field(-1, ge=-1, description="inclusive last frame; -1: to the end")


class WlaslGloss(_Entry):
    gloss: StrictStr = Field(min_length=1)
    instances: list[Any]  # each validated as a WlaslInstance on its own


class MsaslSample(_Entry):
    label: StrictInt = Field(ge=0)
    url: StrictStr = Field(min_length=1)
    start: StrictInt = Field(ge=0, description="first frame of the sign in the source video")
    end: StrictInt = Field(ge=0, description="last frame of the sign in the source video")


def check_glosses(glosses: list[Any], path: Path, problems: Problems, what: str = "gloss",
                  reported: frozenset[int] = frozenset()) -> list[str]:
    """Glosses in class order: non-strings and duplicates are problems (classes in `reported` were
    reported already); digit-only ones are warnings (`numeric_gloss_warning`)."""
    seen: dict[str, int] = {}
    for label, gloss in enumerate(glosses):
        if label in reported:
            continue
        if not isinstance(gloss, str) or not gloss.strip():
            problems.add(path, f"{what} {label}", f"gloss must be a non-empty string (got {_short(gloss)})")
        elif gloss in seen:
            problems.add(path, f"{what} {label}", f"gloss '{gloss}' already names class {seen[gloss]}; "
                         "each class needs its own gloss")
        else:
            seen[gloss] = label
    return [str(gloss) for gloss in glosses]


def numeric_gloss_warning(glosses: list[str], source: str) -> list[str]:
    numeric = [gloss for gloss in glosses if gloss.strip().isdigit()]
    if not numeric:
        return []
    return [f"{source}: {len(numeric)} gloss(es) are only digits (e.g. '{numeric[0]}'); word embedders read them "
            "as numbers, not as sign words"]


def duplicated(values: list[str]) -> list[str]:
    return [value for value, count in Counter(values).items() if count > 1]
