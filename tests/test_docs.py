"""Every hook is documented in docs/plugin_hooks.md with its signature and an example."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from slrbench.plugins import HOOK_NAMES

DOC = Path(__file__).resolve().parents[1] / "docs" / "plugin_hooks.md"


def sections() -> dict[str, str]:
    parts = re.split(r"^## ", DOC.read_text(encoding="utf-8"), flags=re.MULTILINE)
    return {part.split("\n", 1)[0].strip("` "): part for part in parts[1:]}


@pytest.mark.parametrize("hook", HOOK_NAMES)
def test_hook_has_a_section_with_signature_and_example(hook):
    section = sections().get(hook)
    assert section is not None, f"docs/plugin_hooks.md has no '## {hook}' section"
    assert f"def {hook}(register)" in section, f"the {hook} section shows no signature/example"
    assert "PluginSpec(" in section


def test_no_section_documents_a_hook_that_does_not_exist():
    assert set(sections()) - set(HOOK_NAMES) <= {"Writing a hook", "Contexts and contracts"}
