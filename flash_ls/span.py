"""Source positions: 0-based lines, columns counted in code points (LSP encodings convert at the edge)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A half-open range in a text: (start_line, start_col) up to (end_line, end_col)."""

    start_line: int
    start_col: int
    end_line: int
    end_col: int

    def shifted(self, lines: int) -> Span:
        """The same range moved down by ``lines`` lines (statement-local -> file positions)."""
        if lines == 0:
            return self
        return Span(self.start_line + lines, self.start_col, self.end_line + lines, self.end_col)

    def contains(self, line: int, col: int) -> bool:
        """Whether the position lies inside the range (end inclusive, as editors expect for hover)."""
        if (line, col) < (self.start_line, self.start_col):
            return False
        return (line, col) <= (self.end_line, self.end_col)

    @classmethod
    def point(cls, line: int, col: int = 0) -> Span:
        return cls(line, col, line, col)

    @classmethod
    def whole_line(cls, line: int, length: int) -> Span:
        return cls(line, 0, line, length)
