"""The plugin kinds: their names on the command line and the hook that registers each."""
from __future__ import annotations

import difflib
from dataclasses import dataclass

from slrbench.errors import UsageError


@dataclass(frozen=True)
class Kind:
    name: str  # plural, as in `slrbench list smoothers`
    singular: str  # as in `-o smoother.epsilon=0.1` and `slrbench describe smoother lang`
    hook: str  # the hookspec that registers plugins of this kind
    description: str


KINDS: tuple[Kind, ...] = (
    Kind("backbones", "backbone", "register_backbones", "video / keypoint encoders returning named features"),
    Kind("smoothers", "smoother", "register_label_smoothers", "label smoothers: soft-target tables"),
    Kind("mixups", "mixup", "register_mixups", "batch mixers and auxiliary head losses"),
    Kind("embedders", "embedder", "register_word_embedders", "word embedders: gloss -> vector"),
    Kind("datasets", "dataset", "register_datasets", "datasets and their standard benchmarks"),
    Kind("extractors", "extractor", "register_keypoint_extractors", "keypoint extractors: video -> COCO-WholeBody"),
    Kind("loggers", "logger", "register_run_loggers", "run loggers: losses, schedules, throughput and metrics"),
)


# Every accepted spelling of a kind (plural or singular) -> its singular, as `-o KIND.KEY=...` uses.
KIND_SPELLINGS: dict[str, str] = {spelling: kind.singular for kind in KINDS for spelling in (kind.name, kind.singular)}


def resolve_kind(text: str) -> Kind:
    """The kind named by its plural or singular form; an unknown kind lists the valid ones."""
    for kind in KINDS:
        if text in (kind.name, kind.singular):
            return kind
    names = [kind.name for kind in KINDS] + [kind.singular for kind in KINDS]
    close = difflib.get_close_matches(text, names, n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    raise UsageError(f"unknown plugin kind '{text}'{hint}; kinds: {', '.join(k.name for k in KINDS)}")
