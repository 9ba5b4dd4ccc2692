"""HTML building blocks of the report: escaped text, tables, embedded images, the page frame.

The page is self-contained: styles inline, figures as data URIs, links only to its own sections
(`#id`), so it opens the same from a mail attachment, a CI artefact or a repository.
"""
from __future__ import annotations

import html
import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional, Sequence

import numpy as np
import pandas as pd

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 0 auto;
       max-width: 980px; padding: 1.5em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 1.8em;
     border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
h3 { font-size: 1em; margin-bottom: 0.3em; }
.subtitle { color: #555; margin-top: 0; } nav a { margin-right: 1em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.published td { color: #555; font-style: italic; }
.note { background: #f6f6f6; border-left: 3px solid #aaa; padding: 0.4em 0.8em; margin: 0.6em 0; }
.warning { background: #fff6e0; border-left: 3px solid #e0a000; padding: 0.4em 0.8em; margin: 0.4em 0; }
img.plot { max-width: 100%; height: auto; display: block; margin: 0.6em 0; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 12px; }
.columns { display: flex; gap: 2em; flex-wrap: wrap; } .columns > div { flex: 1 1 300px; }
footer { color: #777; font-size: 12px; margin-top: 3em; }
"""


@dataclass
class Section:
    """One `<section>`: a title, an id for the contents line, and its HTML body parts."""

    id: str
    title: str
    parts: list[str] = field(default_factory=list)

    def add(self, *parts: str) -> "Section":
        self.parts.extend(parts)
        return self


def text(value: Any) -> str:
    return html.escape(str(value), quote=True)


def paragraph(value: str, css: Optional[str] = None) -> str:
    return f'<p class="{css}">{text(value)}</p>' if css else f"<p>{text(value)}</p>"


def notes(values: Sequence[str]) -> str:
    return "".join(paragraph(value, "note") for value in values)


def warnings_list(values: Sequence[str]) -> str:
    return "".join(f'<div class="warning">{text(value)}</div>' for value in values)


def image(uri: str, alt: str) -> str:
    """A figure embedded as a data URI (never a link to a file beside the page)."""
    if not uri.startswith("data:image/"):
        raise ValueError("the report embeds its figures; got a link")
    return f'<img class="plot" src="{uri}" alt="{text(alt)}">'


def number(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def table(frame: pd.DataFrame, headers: Mapping[str, str], row_class: Optional[Callable[[pd.Series], str]] = None,
          integers: Sequence[str] = (), precise: Sequence[str] = ()) -> str:
    """`frame`'s columns named in `headers` (in that order), numbers right-aligned, two decimals
    except the `integers` columns (counts) and the `precise` ones (three: similarities near a threshold)."""
    head = "".join(f"<th>{text(title)}</th>" for title in headers.values())
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for column in headers:
            value = row[column]
            numeric = isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))
            digits = 0 if column in integers else 3 if column in precise else 2
            shown = number(value, digits) if numeric or value is None else str(value)
            cells.append(f'<td class="number">{text(shown)}</td>' if numeric else f"<td>{text(shown)}</td>")
        css = row_class(row) if row_class else ""
        rows.append((f'<tr class="{css}">' if css else "<tr>") + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def key_values(pairs: Sequence[tuple[str, Any]], columns: int = 1) -> str:
    """Settings as name / value tables (`columns` of them side by side); nested values as compact text."""
    per_table = max(1, math.ceil(len(pairs) / columns))
    tables = []
    for start in range(0, len(pairs), per_table):
        rows = "".join(f"<tr><th>{text(key)}</th><td>{text(_plain(value))}</td></tr>"
                       for key, value in pairs[start:start + per_table])
        tables.append(f"<table><tbody>{rows}</tbody></table>")
    if len(tables) == 1:
        return tables[0]
    return '<div class="columns">' + "".join(f"<div>{table}</div>" for table in tables) + "</div>"


def preformatted(value: str) -> str:
    return f"<pre>{text(value)}</pre>"


def details(summary: str, body: str) -> str:
    return f"<details><summary>{text(summary)}</summary>{body}</details>"


def render_page(title: str, subtitle: str, sections: Sequence[Section], footer: str) -> str:
    contents = " ".join(f'<a href="#{section.id}">{text(section.title)}</a>' for section in sections)
    body = "\n".join(f'<section id="{section.id}"><h2>{text(section.title)}</h2>\n' + "\n".join(section.parts) +
                     "</section>" for section in sections)
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{text(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
            f"<h1>{text(title)}</h1>\n<p class=\"subtitle\">{text(subtitle)}</p>\n<nav>{contents}</nav>\n"
            f"{body}\n<footer>{text(footer)}</footer>\n</body>\n</html>\n")


def _plain(value: Any) -> str:
    if isinstance(value, Mapping):
        return ", ".join(f"{key}={_plain(item)}" for key, item in value.items()) or "–"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_plain(item) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return "–" if value is None else str(value)
