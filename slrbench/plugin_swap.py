"""Swapping one plugin keeps the rest of a recipe and drops what no longer applies.

`slrbench run --backbone posegcn` on the demo recipe keeps its smoother, mixup, embedder and run
settings; the recipe's options for the backbone it named (vknet-64's width, laterals, ...) belong to
that backbone, so they are dropped with one note. Options given on the command line for the new
plugin still apply, and one that fits it is still checked like any other.
"""
from __future__ import annotations

from typing import Any, Mapping


def merge_plugin_options(
    recipe_options: Mapping[str, dict[str, Any]],
    command_line_options: Mapping[str, dict[str, Any]],
    recipe_names: Mapping[str, str | None],
    chosen_names: Mapping[str, str],
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Per kind, the recipe's options (unless another plugin than the recipe's was chosen) under
    the command line's; and one note per kind whose recipe options were dropped."""
    merged: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    for kind in dict.fromkeys([*recipe_options, *command_line_options]):
        from_recipe = dict(recipe_options.get(kind, {}))
        recipe_name, chosen = recipe_names.get(kind), chosen_names.get(kind)
        if from_recipe and recipe_name is not None and chosen is not None and chosen != recipe_name:
            notes.append(f"{kind} '{chosen}' replaces the recipe's '{recipe_name}': its options "
                         f"{', '.join(sorted(from_recipe))} are dropped")
            from_recipe = {}
        merged[kind] = {**from_recipe, **command_line_options.get(kind, {})}
    return merged, notes
