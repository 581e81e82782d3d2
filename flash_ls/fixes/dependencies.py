"""Edits of ``dependencies=[...]`` (FL303, FL304): text edits that keep the list as written.

- ``add_dependencies`` appends to ``dependencies=[...]`` (or adds the keyword) in the list's own
  layout and quote style;
- ``list_literal_edit`` writes a constant list or tuple inline as a list literal.

Plain text work on the facts' positions (no parsing), cheap enough to run for every finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from flash_ls.diagnostic import TextEdit
from flash_ls.parse.facts import CallExpr, Expr, Literal, SequenceExpr
from flash_ls.parse.split import line_texts
from flash_ls.span import Span


def quote_style(exprs: Iterable[Expr], default: str = '"') -> str:
    """The quote character of the first string literal among ``exprs`` (searched recursively)."""
    for expr in exprs:
        if isinstance(expr, Literal) and isinstance(expr.value, str):
            for char in expr.text:
                if char in "\"'":
                    return char
        if isinstance(expr, SequenceExpr):
            found = quote_style(expr.items, "")
            if found:
                return found
        if isinstance(expr, CallExpr):
            found = quote_style([*expr.args, *(k.value for k in expr.keywords)], "")
            if found:
                return found
    return default


def _quoted(values: Sequence[str], quote: str) -> list[str]:
    return [f"{quote}{v}{quote}" for v in values]


def add_dependencies(
    path: Path, text: str, call: CallExpr, distributions: Sequence[str]
) -> list[TextEdit] | None:
    """Edits adding ``distributions`` to ``call``'s ``dependencies=[...]`` (or adding the keyword).

    The list keeps its layout: one line stays one line (``["a", "b"]``), one item per line gets a
    new line with the same indentation and the same trailing-comma habit. Quotes follow the call's
    own string literals. None when ``dependencies`` is given as anything but a list literal.
    """
    if not distributions or call.has_star_args:
        return None
    lines = _lines(text)
    kw = call.keyword("dependencies")
    quote = quote_style([*call.args, *(k.value for k in call.keywords)])
    if kw is not None:
        value = kw.value
        if not isinstance(value, SequenceExpr) or value.kind != "list" or value.has_star:
            return None
        items = _quoted(distributions, quote)
        if not value.items:
            inner = value.text[1:-1]
            if inner.strip():
                return None  # a comment inside ``[ ]``: leave it to a human
            return [TextEdit(path, value.span, "[" + ", ".join(items) + "]")]
        return _append_after(path, lines, [i.span for i in value.items], value.span, items)
    if any(k.name is None for k in call.keywords):
        return None  # ``**kwargs`` may already carry dependencies
    keyword = "dependencies=[" + ", ".join(_quoted(distributions, quote)) + "]"
    arguments = sorted([*(a.span for a in call.args), *(k.span for k in call.keywords)])
    if not arguments:
        end = call.span
        close = Span(end.end_line, end.end_col - 1, end.end_line, end.end_col - 1)
        if _char_at(lines, end.end_line, end.end_col - 1) != ")":
            return None
        return [TextEdit(path, close, keyword)]
    return _append_after(path, lines, arguments, call.span, [keyword])


_LINE_END = re.compile(r"\r(?!\n)|\n")


def _lines(text: str) -> Sequence[str]:
    """The lines as the facts count them (CRLF lines keep the \\r, so that new lines follow
    them). Without a \\r they are the lines the engine and the rules split: shared with them."""
    if "\r" not in text:
        return line_texts(text)
    return _lines_with_returns(text)


@lru_cache(maxsize=4)  # an endpoint's findings all edit one file: its split is kept for the next
def _lines_with_returns(text: str) -> tuple[str, ...]:
    return tuple(_LINE_END.split(text))


def _char_at(lines: Sequence[str], line: int, col: int) -> str:
    if 0 <= line < len(lines) and 0 <= col < len(lines[line]):
        return lines[line][col]
    return ""


def _append_after(
    path: Path, lines: Sequence[str], items: list[Span], container: Span, new_items: list[str]
) -> list[TextEdit] | None:
    """Append ``new_items`` after the last of ``items`` inside the bracketed ``container``."""
    last = items[-1]
    close_line, close_col = container.end_line, container.end_col - 1
    between = _text_between(lines, (last.end_line, last.end_col), (close_line, close_col))
    if between is None:
        return None
    stripped = between.strip()
    trailing_comma = stripped.startswith(",")
    after_comma = stripped[1:].strip() if trailing_comma else stripped
    if after_comma and not after_comma.startswith("#"):
        return None
    last_starts_line = not _line(lines, last.start_line)[: last.start_col].strip()
    if last.end_line < close_line and last_starts_line:
        # One item per line: the new items get lines of their own, indented like the last one.
        indent = _line(lines, last.start_line)[: last.start_col]
        rest_of_line = _line(lines, last.end_line)[last.end_col :]
        if trailing_comma or "#" in rest_of_line:
            # ``"b",`` / ``"b"  # note``: the new items go on the following lines, the comment stays.
            edits: list[TextEdit] = []
            if not trailing_comma:
                edits.append(TextEdit(path, Span.point(last.end_line, last.end_col), ","))
            ends = [","] * (len(new_items) - 1) + ["," if trailing_comma else ""]
            added = "".join(
                f"{indent}{item}{end}\n" for item, end in zip(new_items, ends, strict=True)
            )
            edits.append(
                TextEdit(path, Span.point(last.end_line + 1), _newline_style(lines, added))
            )
            return edits
        added = "".join(f",\n{indent}{item}" for item in new_items)
        return [
            TextEdit(path, Span.point(last.end_line, last.end_col), _newline_style(lines, added))
        ]
    if trailing_comma and "\n" not in between:
        comma_col = last.end_col + between.index(",") + 1
        added = "".join(f" {item}," for item in new_items)
        # ``["a",]`` -> ``["a", "b",]``: keep the trailing comma after the new items.
        return [TextEdit(path, Span.point(last.end_line, comma_col), added)]
    added = "".join(f", {item}" for item in new_items)
    return [TextEdit(path, Span.point(last.end_line, last.end_col), added)]


def _newline_style(lines: Sequence[str], text: str) -> str:
    if lines and lines[0].endswith("\r"):
        return text.replace("\n", "\r\n")
    return text


def _line(lines: Sequence[str], index: int) -> str:
    if not 0 <= index < len(lines):
        return ""
    text = lines[index]
    return text[:-1] if text.endswith("\r") else text


def _text_between(lines: Sequence[str], start: tuple[int, int], end: tuple[int, int]) -> str | None:
    if start > end:
        return None
    if start[0] == end[0]:
        return _line(lines, start[0])[start[1] : end[1]]
    parts = [_line(lines, start[0])[start[1] :]]
    parts.extend(_line(lines, i) for i in range(start[0] + 1, end[0]))
    parts.append(_line(lines, end[0])[: end[1]])
    # Comments run to the end of their line; keep only the code-like part per line for the check.
    return "\n".join(_strip_comment(p) for p in parts)


def _strip_comment(text: str) -> str:
    index = text.find("#")
    return text if index < 0 else text[:index] + "#"


def list_literal_edit(path: Path, target: Span, items: Sequence[Expr]) -> TextEdit:
    """Replace ``target`` with a list literal of ``items`` as written (``("a", "b")`` -> ``["a", "b"]``)."""
    return TextEdit(path, target, "[" + ", ".join(item.text for item in items) + "]")
