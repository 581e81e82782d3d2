"""The engine's finding type, shared by every front end (CLI, server)."""

from __future__ import annotations

import enum
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import FrozenInstanceError, dataclass, field
from pathlib import Path

from flash_ls.span import Span


class Severity(enum.IntEnum):
    """Ordered so that ``a >= Severity.WARNING`` reads naturally."""

    HINT = 1
    INFO = 2
    WARNING = 3
    ERROR = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        """'error' / 'Warning' / 'information' -> member; ValueError otherwise."""
        key = text.strip().upper()
        if key == "INFORMATION":
            key = "INFO"
        try:
            return cls[key]
        except KeyError:
            raise ValueError(
                f"unknown severity {text!r} (expected error, warning, info or hint)"
            ) from None


@dataclass(frozen=True, slots=True)
class TextEdit:
    path: Path
    span: Span
    new_text: str


EditsProducer = Callable[[], Sequence[TextEdit] | None]
"""Computes a fix's edits when they are first needed; None (or no edits) when it cannot."""


@dataclass(frozen=True, slots=True)
class NoEdits:
    """The edits of a fix known when it is planned not to be computed, and why (``reason``, shown
    with the fix: "the code to edit is too long for it"). Unlike a producer that finds none, it is
    known without computing anything, so every output format and every replay agrees that the fix
    is not applicable."""

    reason: str


log = logging.getLogger(__name__)

# Serialises the computation of lazy edits: producers share caches (libcst analyses of a file) that
# are not safe to fill from two threads, and a fix asked for twice at once is computed once.
_PRODUCING = threading.RLock()


class Fix:
    """Edits that resolve a finding. ``safe`` fixes are applied by ``--fix`` and fix-all.

    ``message`` and ``safe`` are known when the finding is made; ``edits`` may be given as they are
    or as an ``EditsProducer`` called on first access of ``edits`` (JSON output, ``--fix``, code
    actions), so that a plain check never pays for planning them. The result is kept. A producer
    that returns None or nothing, or raises, leaves the fix without edits: ``available`` is then
    False and applying it does nothing (``apply_fixes_detailed`` skips it). ``NoEdits(reason)``
    gives none at once: the fix's advice stands, and the reason says why it is not applied.

    Fixes compare and hash by message, safety and what gives their edits: the edits themselves, or
    the producer, which should compare by value (a frozen dataclass describing the change), so that
    two findings sharing one change have equal fixes without computing anything. A pickled fix
    carries its edits (computed then), not its producer (a ``NoEdits`` is carried as it is).
    """

    __slots__ = ("_edits", "_key", "message", "safe")

    message: str
    safe: bool
    _edits: tuple[TextEdit, ...] | None  # None until a producer has run
    _key: tuple[TextEdit, ...] | EditsProducer | NoEdits

    def __init__(
        self, message: str, edits: Sequence[TextEdit] | EditsProducer | NoEdits, safe: bool = True
    ) -> None:
        set_ = object.__setattr__
        set_(self, "message", message)
        set_(self, "safe", safe)
        if isinstance(edits, NoEdits):
            set_(self, "_edits", ())
            set_(self, "_key", edits)
        elif callable(edits):
            set_(self, "_edits", None)
            set_(self, "_key", edits)
        else:
            given = tuple(edits)
            set_(self, "_edits", given)
            set_(self, "_key", given)

    @property
    def edits(self) -> tuple[TextEdit, ...]:
        """The edits, computed (once, by any thread) on first access; () when unavailable."""
        edits = self._edits
        if edits is not None:
            return edits
        with _PRODUCING:
            edits = self._edits
            if edits is None:
                edits = self._produce()
                object.__setattr__(self, "_edits", edits)
        return edits

    def _produce(self) -> tuple[TextEdit, ...]:
        producer = self._key
        assert callable(producer)
        try:
            produced = producer()
        except Exception:  # a fix that cannot be computed must not break a check or a fix run
            log.warning("could not compute the edits of fix %r", self.message, exc_info=True)
            return ()
        if produced is None:
            log.debug("fix %r has no edits after all", self.message)
            return ()
        return tuple(produced)

    @property
    def available(self) -> bool:
        """Whether the fix has edits (computing them if needed)."""
        return bool(self.edits)

    @property
    def computed(self) -> bool:
        """Whether the edits are known without calling the producer."""
        return self._edits is not None

    @property
    def unavailable_reason(self) -> str | None:
        """Why the fix has no edits, when that was known as it was planned (``NoEdits``)."""
        return self._key.reason if isinstance(self._key, NoEdits) else None

    def __setattr__(self, name: str, value: object) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Fix):
            return NotImplemented
        return (self.message, self.safe, self._key) == (other.message, other.safe, other._key)

    def __hash__(self) -> int:
        return hash((self.message, self.safe, self._key))

    def __reduce__(
        self,
    ) -> tuple[type[Fix], tuple[str, tuple[TextEdit, ...] | NoEdits, bool]]:
        key = self._key
        return (Fix, (self.message, key if isinstance(key, NoEdits) else self.edits, self.safe))

    def __repr__(self) -> str:
        edits = repr(self._edits) if self._edits is not None else "<not computed>"
        return f"Fix(message={self.message!r}, edits={edits}, safe={self.safe!r})"


@dataclass(frozen=True, slots=True)
class Related:
    path: Path
    span: Span
    message: str


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    slug: str
    severity: Severity
    path: Path
    span: Span
    message: str
    related: tuple[Related, ...] = ()
    fix: Fix | None = None
    # Extra fixes offered as code actions but never applied automatically (e.g. suppressions).
    alternatives: tuple[Fix, ...] = field(default=(), compare=False)
    # The message is one short sentence (what is wrong); why and what to do go here.
    notes: tuple[str, ...] = ()

    def sort_key(self) -> tuple[str, int, int, str]:
        return (self.path.as_posix(), self.span.start_line, self.span.start_col, self.code)
