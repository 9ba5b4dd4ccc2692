"""docs/plugin_hooks.md says what the code does: its tables list every context field, base-class
and protocol member, PluginSpec field and built-in input stream, and name nothing the code lacks.

The doc's convention: a table whose first header cell is "`Owner` field" or "`Owner` member" lists
members of the class `Owner` (in `slrbench.interfaces`, `slrbench.inputs` or `slrbench.spec`), one
per row, first cell "`name`" or "`name(arg, ...)`" for a method, with a "default" column
("required", or the default; a backticked literal is compared with a dataclass field's default).

CONTRIBUTING.md's walkthrough is real code: its Python blocks (each opening with `# path.py`) are
written out as a package, pass check_backbone and check_mixup, and their own tests pass.
"""
from __future__ import annotations

import ast
import dataclasses
import importlib
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from slrbench import inputs, interfaces, spec, testing
from slrbench.data.keypoint_layout import KEYPOINT_GROUPS
from slrbench.kinds import KINDS

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "plugin_hooks.md"

OWNER_HEADER = re.compile(r"^`(\w+)` (field|member)$")
ROW_NAME = re.compile(r"^`(\w+)(?:\(([^)]*)\))?`$")
BACKTICKED = re.compile(r"`([^`\n]+)`")

# A kind's protocol is documented in the table of its base class (one table per built object).
PROTOCOL_OF_BASE = {"DatasetBase": "Dataset", "EmbedderBase": "WordEmbedder"}
# Required members declared on no class in slrbench/ (none now; a test below keeps it honest).
NOT_ON_THE_BASE: set[tuple[str, str]] = set()


# --- the code --------------------------------------------------------------------------------
def own_classes() -> dict[str, type]:
    classes = {}
    for module in (interfaces, inputs, spec):
        classes.update({name: value for name, value in vars(module).items()
                        if inspect.isclass(value) and value.__module__ == module.__name__})
    return classes


CLASSES = own_classes()


def is_protocol(cls: type) -> bool:
    return bool(getattr(cls, "_is_protocol", False))


def documented_classes() -> list[str]:
    """Every class the doc must describe: dataclasses, kind base classes, protocols."""
    return sorted(name for name, cls in CLASSES.items()
                  if dataclasses.is_dataclass(cls) or is_protocol(cls) or cls in interfaces.KIND_BASES.values())


def code_members(cls: type) -> list[str]:
    """A dataclass's fields; otherwise the public methods and annotated attributes the class itself defines."""
    if dataclasses.is_dataclass(cls):
        return [field.name for field in dataclasses.fields(cls)]
    methods = [name for name, value in vars(cls).items() if not name.startswith("_") and callable(value)]
    return methods + [name for name in vars(cls).get("__annotations__", {}) if not name.startswith("_")]


def partners(owner: str) -> list[Any]:
    """Where a member of `owner`'s table may live besides `owner` itself."""
    found: list[Any] = [CLASSES[PROTOCOL_OF_BASE[owner]]] if owner in PROTOCOL_OF_BASE else []
    if owner == "BackboneBase":
        import torch

        found.append(torch.nn.Module)  # forward
    return found


def resolve(owner: str, member: str) -> tuple[bool, Any]:
    """Whether `member` exists on `owner` (or its partners), and the object when it is an attribute."""
    for cls in (CLASSES[owner], *partners(owner)):
        if dataclasses.is_dataclass(cls) and member in {f.name for f in dataclasses.fields(cls)}:
            return True, None
        if any(member in vars(klass).get("__annotations__", {}) for klass in cls.__mro__):
            return True, None
        if hasattr(cls, member):
            return True, getattr(cls, member)
    return (owner, member) in NOT_ON_THE_BASE, None


# --- the doc ---------------------------------------------------------------------------------
def doc_text() -> str:
    return DOC.read_text(encoding="utf-8")


def markdown_tables(text: str) -> list[tuple[list[str], list[list[str]]]]:
    """(header cells, body rows of cells) of every table, outside code blocks."""
    tables, block, fenced = [], [], False
    for line in text.splitlines() + [""]:
        if line.startswith("```"):
            fenced = not fenced
        if not fenced and line.startswith("|"):
            block.append([cell.strip() for cell in line.strip().strip("|").split("|")])
            continue
        if block:
            tables.append((block[0], block[2:]))
            block = []
    return tables


def owner_tables(text: str) -> dict[str, list[dict[str, str]]]:
    """Owner class -> its documented rows ({column: cell}), from every "`Owner` field/member" table."""
    found: dict[str, list[dict[str, str]]] = {}
    for header, rows in markdown_tables(text):
        match = OWNER_HEADER.match(header[0])
        if match:
            found.setdefault(match.group(1), []).extend(dict(zip(["name", *header[1:]], row)) for row in rows)
    return found


def row_name(row: dict[str, str]) -> tuple[str, list[str] | None]:
    """A row's member name and, for a method written `name(a, b)`, its argument names."""
    match = ROW_NAME.match(row["name"])
    assert match, f"docs/plugin_hooks.md: a member cell must be `name` or `name(args)`, got {row['name']!r}"
    arguments = match.group(2)
    return match.group(1), None if arguments is None else [a.strip() for a in arguments.split(",") if a.strip()]


def table_with_header(first_cell: str) -> list[list[str]]:
    tables = [rows for header, rows in markdown_tables(doc_text()) if header[0] == first_cell]
    assert len(tables) == 1, f"docs/plugin_hooks.md needs one table whose first column is '{first_cell}'"
    return tables[0]


def mentioned() -> set[str]:
    """Every backticked name: `x`, and `x` of `a.b.x` and `x(...)`."""
    names = set()
    for text in BACKTICKED.findall(doc_text()):
        names.add(text)
        dotted = re.match(r"[\w.]+", text)
        if dotted:
            names.add(dotted.group(0).rsplit(".", 1)[-1])
    return names


# --- the tests -------------------------------------------------------------------------------
@pytest.mark.parametrize("owner", documented_classes())
def test_every_field_and_member_in_the_code_is_in_its_table(owner):
    tables = owner_tables(doc_text())
    rows = tables.get(owner, []) + [row for base, protocol in PROTOCOL_OF_BASE.items() if protocol == owner
                                    for row in tables.get(base, [])]
    documented = {row_name(row)[0] for row in rows}
    missing = [member for member in code_members(CLASSES[owner]) if member not in documented]
    assert not missing, f"docs/plugin_hooks.md: add {missing} to the table headed '`{owner}` field/member'"


def test_every_documented_field_and_member_exists_as_written():
    problems = []
    for owner, rows in owner_tables(doc_text()).items():
        if owner not in CLASSES:
            problems.append(f"table of `{owner}`: no such class in slrbench.interfaces, .inputs or .spec")
            continue
        cls = CLASSES[owner]
        for row in rows:
            name, arguments = row_name(row)
            exists, value = resolve(owner, name)
            if not exists:
                problems.append(f"`{owner}.{name}` does not exist")
                continue
            if inspect.isfunction(value) and value.__module__.startswith("slrbench"):
                parameters = [p for p in inspect.signature(value).parameters if p != "self"]
                if arguments != parameters:
                    problems.append(f"`{owner}.{name}` is a method: write it `{name}({', '.join(parameters)})`")
            elif arguments is not None and value is not None and not callable(value):
                problems.append(f"`{owner}.{name}` is not a method; drop the parentheses")
            problems.extend(default_problem(cls, owner, name, row.get("default", "")))
    assert not problems, "docs/plugin_hooks.md disagrees with the code:\n" + "\n".join(problems)


def default_problem(cls: type, owner: str, name: str, cell: str) -> list[str]:
    """A dataclass field's documented default against the code's; a base-class default must be defined there."""
    if dataclasses.is_dataclass(cls):
        field = {f.name: f for f in dataclasses.fields(cls)}[name]
        has_default = field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING
        if (cell == "required") == has_default:
            code = "none (required)" if not has_default else repr(field.default)
            return [f"`{owner}.{name}`: the code's default is {code}, the doc says {cell!r}"]
        literal = re.fullmatch(r"`([^`]+)`", cell)
        if has_default and literal:
            default = field.default if field.default is not dataclasses.MISSING else field.default_factory()
            try:
                documented = ast.literal_eval(literal.group(1))
            except (ValueError, SyntaxError):
                return []  # a name such as `PluginConfig`, not a literal
            if documented != default:
                return [f"`{owner}.{name}`: the doc says default {literal.group(1)}, the code {default!r}"]
        return []
    if cell and cell != "required" and not is_protocol(cls) and name not in vars(cls):
        return [f"`{owner}.{name}`: documented with a default, but {owner} does not define it"]
    return []


def test_members_missing_from_the_base_class_are_still_missing():
    for owner, member in NOT_ON_THE_BASE:
        cls = CLASSES[owner]
        declared = hasattr(cls, member) or any(member in vars(k).get("__annotations__", {}) for k in cls.__mro__)
        assert not declared, f"{owner} now declares `{member}`: remove it from NOT_ON_THE_BASE"


def test_the_input_streams_table_is_the_built_in_streams():
    rows = table_with_header("stream")
    documented = {row[0].strip("`"): row[2].strip("`") for row in rows}
    assert documented == {name: stream.blend for name, stream in inputs.BUILTIN_STREAMS.items()}


def test_the_keypoint_groups_table_is_the_layout():
    rows = table_with_header("keypoint group")
    documented = {row[0].strip("`"): (row[1].split(" ")[0], int(row[2])) for row in rows}
    assert documented == {group: (f"{min(channels)}–{max(channels)}", len(channels))
                          for group, channels in KEYPOINT_GROUPS.items()}


def test_every_contract_check_is_in_the_checks_table_and_every_kind_in_the_overview():
    checks = {row[0].strip("`") for row in table_with_header("check")}
    assert checks == {name for name in testing.__all__ if name.startswith("check_")}
    overview = {row[0]: row for row in table_with_header("kind")}
    assert set(overview) == {kind.name for kind in KINDS}
    for kind, base in interfaces.KIND_BASES.items():
        assert f"`{base.__name__}`" in " ".join(overview[kind]), f"the {kind} row must name {base.__name__}"


def test_the_testing_helpers_blend_kinds_and_feature_groups_are_named():
    names = mentioned()
    wanted = {*testing.__all__, "slrbench_plugins", inputs.LINEAR, inputs.SAMPLE, *interfaces.FEATURE_GROUPS}
    assert not wanted - names, f"docs/plugin_hooks.md never names {sorted(wanted - names)}"
    unknown = sorted(name for name in names if re.fullmatch(r"check_\w+", name) and name not in testing.__all__)
    assert not unknown, f"docs/plugin_hooks.md names checks that slrbench.testing lacks: {unknown}"


# --- CONTRIBUTING.md's walkthrough -----------------------------------------------------------
CONTRIBUTING = ROOT / "CONTRIBUTING.md"
WALKTHROUGH_HEADING = "## Walkthrough"


def walkthrough_files() -> dict[str, str]:
    """The walkthrough's Python blocks by the path on their first line (`# path`, maybe "(continued)")."""
    text = CONTRIBUTING.read_text(encoding="utf-8")
    assert WALKTHROUGH_HEADING in text, f"CONTRIBUTING.md has no '{WALKTHROUGH_HEADING}' section"
    section = text.split(WALKTHROUGH_HEADING, 1)[1].split("\n## ", 1)[0]
    files: dict[str, str] = {}
    for block in re.findall(r"^```python\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL):
        first = re.match(r"# ([\w/]+\.py)\b", block)
        assert first, f"a walkthrough code block must start with '# path/to/file.py':\n{block[:80]}"
        files[first.group(1)] = files.get(first.group(1), "") + block
    return files


@pytest.fixture
def walkthrough_package(tmp_path, monkeypatch):
    """The walkthrough's files written out and importable; its modules forgotten afterwards."""
    for path, source in walkthrough_files().items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(source, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [name for name in sys.modules if name.split(".")[0] in {"slrbench_skeleton", "test_skeleton"}]:
        del sys.modules[name]


def test_the_walkthrough_plugins_pass_the_backbone_and_mixup_contracts(walkthrough_package):
    hooks = [importlib.import_module(f"slrbench_skeleton.{name}") for name in ("plugin", "motion_plugin")]
    with testing.registered_plugins(*hooks):
        reports = {name: testing.check_backbone(name) for name in ("pose-tcn", "pose-motion-tcn")}
        for mixup in ("intra", "sign"):
            outcomes = testing.check_mixup(mixup, backbones=list(reports))["backbones"]
            assert all(outcome.startswith("blends every input") for outcome in outcomes.values()), outcomes
    assert reports["pose-motion-tcn"]["inputs"] == ("keypoint_coordinates", "keypoint_velocity")
    assert reports["pose-motion-tcn"]["input_blends"] == {
        "keypoint_coordinates": "linear", "keypoint_zoom": "sample", "keypoint_velocity": "linear"}


def test_the_walkthrough_tests_pass_as_a_plugin_author_runs_them(walkthrough_package):
    """Its own tests, with its conftest.py and the `slrbench_plugins` fixture, in a fresh pytest."""
    path = os.pathsep.join(filter(None, [str(walkthrough_package), os.environ.get("PYTHONPATH")]))
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
                            cwd=walkthrough_package, env={**os.environ, "PYTHONPATH": path},
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "2 passed" in result.stdout
