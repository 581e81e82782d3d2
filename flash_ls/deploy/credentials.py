"""The Runpod API key: where it comes from, where a login stores it, and keeping it out of text.

Resolution follows the official Flash CLI (``runpod_flash/core/credentials.py``, 1.21):

1. ``RUNPOD_API_KEY`` in the environment;
2. the nearest ``.env`` walking up from the app root (the official CLI loads it from the working
   directory at import, without overriding variables already set; python-dotenv reads it, as
   there, so quoting, ``export`` and ``${VAR}`` expansion mean the same);
3. ``~/.runpod/config.toml`` ``[default].api_key`` (runpod-python's credentials file);
4. runpodctl's top-level ``apikey`` in that file, only when it has no ``[default]`` table.

A login writes ``[default].api_key`` only, and a logout removes it, keeping the rest of the file
(runpodctl's keys, other profiles, comments) as it was; tomlkit makes that edit, as in the official
CLI. runpod-flash's old ``~/.config/runpod/credentials.toml`` is never read: its login migrates and
deletes it, and so does ``flash-ls login`` (the key it saves replaces the old one).
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flash_ls.platform import API_KEY_ENV

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

log = logging.getLogger(__name__)

CONFIG_LABEL = "~/.runpod/config.toml"
RUNPODCTL_LABEL = "~/.runpod/config.toml (runpodctl)"
LEGACY_LABEL = "~/.config/runpod/credentials.toml"
REDACTED = "<redacted>"

_DEFAULT_TABLE = "default"
_API_KEY = "api_key"
_RUNPODCTL_KEY = "apikey"
_DOTENV = ".env"
_TRUTHY = frozenset({"1", "true", "t", "yes", "y"})  # PYTHON_DOTENV_DISABLED, as python-dotenv
# A key goes into an HTTP header: anything but visible ASCII would fail there, in a message
# that quotes the header (and so the key).
_KEY_CHARACTERS = re.compile(r"[\x21-\x7e]+")
# ${NAME} and ${NAME:-default}: the expansion python-dotenv applies to every value.
# Where tomllib's message says the error is: "(at line 2, column 9)", "(at end of document)".
_TOML_POSITION = re.compile(r"\(at (?:(?P<where>line \d+, column \d+)|end of document)\)$")
_DOTENV_VARIABLE = re.compile(r"\$\{(?P<name>[^}:]*)(?::-(?P<default>[^}]*))?\}")


@dataclass(frozen=True, repr=False)
class ApiKey:
    """A Runpod API key and where it was found; printing it never shows the key."""

    value: str
    source: str
    """Human label: ``RUNPOD_API_KEY``, ``app/.env``, ``~/.runpod/config.toml``."""
    shadows: str | None = None
    """The label of a stored key this one hides (``RUNPOD_API_KEY`` over a login)."""

    @property
    def hint(self) -> str:
        """The most of the key a person may see: its last 4 characters, for a long key."""
        return "…" + self.value[-4:] if len(self.value) >= 16 else "…"

    def __repr__(self) -> str:
        shadows = f", shadows={self.shadows!r}" if self.shadows else ""
        return f"ApiKey({REDACTED}, source={self.source!r}{shadows})"

    def __str__(self) -> str:
        return f"API key from {self.source}"


class MissingApiKey(Exception):
    """No usable API key; the message is one line saying what to do."""

    def __init__(
        self, message: str = f"no Runpod API key: run `flash-ls login` or set {API_KEY_ENV}"
    ) -> None:
        super().__init__(message)


class CredentialsFileError(MissingApiKey):
    """``~/.runpod/config.toml`` cannot be read or is not TOML (never rewritten then)."""


def config_path(home: Path | None = None) -> Path:
    """``~/.runpod/config.toml`` under ``home`` (default: the user's home)."""
    return (home if home is not None else Path.home()) / ".runpod" / "config.toml"


def legacy_path(home: Path | None = None) -> Path:
    """runpod-flash's old ``~/.config/runpod/credentials.toml`` under ``home`` (default: the
    user's home; the official CLI ignores ``XDG_CONFIG_HOME`` for it too)."""
    return (home if home is not None else Path.home()) / ".config" / "runpod" / "credentials.toml"


def resolve_api_key(
    app_root: Path | None,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> ApiKey:
    """The API key a deploy of the app at ``app_root`` uses, in the official CLI's order.

    ``app_root`` None: the environment and the stored login only. ``environ`` defaults to
    ``os.environ``, ``home`` to the user's home. Raises :class:`MissingApiKey` (or its
    :class:`CredentialsFileError` when config.toml is unreadable and no key came before it).
    """
    environ = os.environ if environ is None else environ
    for key in find_api_keys(app_root, environ, home):
        if key.source in (CONFIG_LABEL, RUNPODCTL_LABEL):
            return key
        return ApiKey(key.value, key.source, _shadowed(key, home))
    raise MissingApiKey()


def find_api_keys(
    app_root: Path | None,
    environ: Mapping[str, str] | None = None,
    home: Path | None = None,
) -> Iterator[ApiKey]:
    """The keys the sources hold, highest precedence first: the first one is in use.

    Lazy: config.toml is read (and a :class:`CredentialsFileError` raised) only when the
    sources before it are exhausted. A ``.env`` key is not listed while ``RUNPOD_API_KEY`` is
    set, even to nothing (load_dotenv does not override it); :func:`dotenv_key` finds it.
    """
    environ = os.environ if environ is None else environ
    from_env = environ.get(API_KEY_ENV)
    if from_env is not None and from_env.strip():
        yield _checked(from_env, API_KEY_ENV)
    if from_env is None:
        dotenv = dotenv_key(app_root, environ)
        if dotenv is not None:
            yield dotenv
    stored = read_stored_key(home)
    if stored is not None:
        yield stored


def read_stored_key(home: Path | None = None) -> ApiKey | None:
    """The key in ``~/.runpod/config.toml`` (``[default].api_key``, else runpodctl's ``apikey``
    when there is no ``[default]``), or None. Raises :class:`CredentialsFileError`."""
    path = config_path(home)
    document = _read_config(path)
    if document is None:
        return None
    if _DEFAULT_TABLE in document:
        table = document[_DEFAULT_TABLE]
        value = table.get(_API_KEY) if isinstance(table, Mapping) else None
        label = CONFIG_LABEL
    else:
        value = document.get(_RUNPODCTL_KEY)
        label = RUNPODCTL_LABEL
    if isinstance(value, str) and value.strip():
        return _checked(str(value), label)
    return None


def save_api_key(key: str, home: Path | None = None) -> Path:
    """Store ``key`` as ``[default].api_key`` of ``~/.runpod/config.toml``; the file's path.

    Everything else in the file stays byte for byte. The new file is written next to the old
    one with mode 0600 and renamed over it, so a failed write leaves the old file whole;
    ``~/.runpod`` is created with mode 0700. A file that is not TOML is left alone
    (:class:`CredentialsFileError`): it may hold runpodctl's key.
    """
    import tomlkit
    from tomlkit.items import InlineTable, Table

    key = _checked(key, "the login").value
    path = config_path(home)
    directory = path.parent
    if not directory.is_dir():
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(directory, 0o700)  # mkdir's mode is filtered by the umask
    text = _read_config_text(path)
    document = _editable_config(text) if text is not None else tomlkit.document()
    table = document.get(_DEFAULT_TABLE)
    if isinstance(table, (Table, InlineTable)):
        table[_API_KEY] = key
    else:
        table = tomlkit.table()
        table[_API_KEY] = key
        document[_DEFAULT_TABLE] = table
    _write_config(path, tomlkit.dumps(document))
    return path


def remove_api_key(home: Path | None = None) -> bool:
    """Remove ``[default].api_key`` from ``~/.runpod/config.toml`` (a logout); whether it was there.

    Everything else stays as written: comments, runpodctl's top-level ``apikey``/``apiurl``,
    other profiles, other keys of ``[default]``. A ``[default]`` left with no key goes too (its
    comments and blank lines stay): an empty one would still hide runpodctl's key from the
    resolution. The file is rewritten as :func:`save_api_key` writes it (mode 0600, a symlink
    kept); one that cannot be read or is not TOML is left alone (:class:`CredentialsFileError`).
    """
    import tomlkit

    path = config_path(home)
    text = _read_config_text(path)
    if text is None:
        return False
    document = _editable_config(text)
    table = document.get(_DEFAULT_TABLE)
    if not isinstance(table, MutableMapping) or _API_KEY not in table:
        return False
    del table[_API_KEY]
    if not table:
        _drop_table(document, _DEFAULT_TABLE)
    edited = tomlkit.dumps(document)
    expected = _parse_config(text)
    del expected[_DEFAULT_TABLE][_API_KEY]
    if not expected[_DEFAULT_TABLE]:
        del expected[_DEFAULT_TABLE]
    if _parse_config(edited) != expected:  # never write a file that says something else
        raise CredentialsFileError(f"cannot edit {CONFIG_LABEL}: remove [default].api_key by hand")
    _write_config(path, edited)
    return True


def has_legacy_credentials(home: Path | None = None) -> bool:
    """Whether runpod-flash's old ``~/.config/runpod/credentials.toml`` is there (unread)."""
    path = legacy_path(home)
    try:
        return path.is_symlink() or path.is_file()
    except OSError:  # a directory on the way that cannot be searched: nothing to do about it
        return False


def remove_legacy_credentials(home: Path | None = None) -> bool:
    """Delete runpod-flash's old credentials file, and ``~/.config/runpod`` when that leaves it
    empty; whether there was a file. Raises :class:`OSError` when it cannot be deleted."""
    if not has_legacy_credentials(home):
        return False
    path = legacy_path(home)
    path.unlink()
    with contextlib.suppress(OSError):  # not empty (or not ours to remove): it stays
        path.parent.rmdir()
    return True


def check_config(home: Path | None = None) -> None:
    """Raise :class:`CredentialsFileError` when config.toml exists but cannot be read or parsed,
    so :func:`save_api_key` would refuse it (a login checks this before asking for a key)."""
    text = _read_config_text(config_path(home))
    if text is not None:
        _editable_config(text)


def redact(text: str, *secrets: str) -> str:
    """``text`` without ``secrets``, bearer tokens, Runpod keys and signed-URL credentials.

    Presigned URLs lose their whole query string (``X-Amz-*``, ``Signature=``, ``token=``
    ...); such parameters outside a URL lose their values.
    """
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    text = _SIGNED_URL.sub(_strip_query, text)
    text = _SIGNED_PARAMETER.sub(rf"\g<name>={REDACTED}", text)
    text = _BEARER.sub(rf"\g<scheme> {REDACTED}", text)
    return _RUNPOD_KEY.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """A logging filter (install it on handlers) that passes each record's text through
    :func:`redact` with the secrets known so far."""

    def __init__(self, *secrets: str) -> None:
        super().__init__()
        self.secrets: set[str] = {s for s in secrets if s}

    def add(self, secret: str) -> None:
        """Redact ``secret`` from every later record too."""
        if secret:
            self.secrets.add(secret)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: logging reports those itself
            message = f"{record.msg} {record.args}"
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = redact(message, *self.secrets), None
        if record.exc_text:
            record.exc_text = redact(record.exc_text, *self.secrets)
        return True


# -- sources ----------------------------------------------------------------------------------


def _checked(value: str, source: str) -> ApiKey:
    value = value.strip()
    if not _KEY_CHARACTERS.fullmatch(value):
        raise MissingApiKey(f"the API key from {source} holds spaces or control characters")
    return ApiKey(value, source)


def _shadowed(key: ApiKey, home: Path | None) -> str | None:
    """The label of the stored key ``key`` hides, when there is one and it differs."""
    try:
        stored = read_stored_key(home)
    except MissingApiKey:
        return None  # an unreadable config.toml hides nothing usable
    return stored.source if stored is not None and stored.value != key.value else None


def dotenv_key(app_root: Path | None, environ: Mapping[str, str] | None = None) -> ApiKey | None:
    """``RUNPOD_API_KEY`` as the nearest ``.env`` at or above ``app_root`` sets it (whether or
    not the environment's variable hides it), or None."""
    environ = os.environ if environ is None else environ
    if app_root is None:
        return None
    if environ.get("PYTHON_DOTENV_DISABLED", "").casefold() in _TRUTHY:
        return None  # load_dotenv does nothing then
    path = find_dotenv(app_root)
    if path is None:
        return None
    value = _dotenv_values(path, environ).get(API_KEY_ENV)
    if value is None or not value.strip():
        return None
    label = f"{app_root.absolute().name}/.env" if path.parent == app_root.absolute() else None
    return _checked(value, label or _display(path))


def find_dotenv(start: Path) -> Path | None:
    """The ``.env`` python-dotenv's ``find_dotenv`` would pick from ``start``: the nearest one
    in it or an ancestor."""
    directory = start.absolute()
    for candidate in (directory, *directory.parents):
        path = candidate / _DOTENV
        with contextlib.suppress(OSError):
            if path.is_file() or path.is_fifo():
                return path
    return None


def _dotenv_values(path: Path, environ: Mapping[str, str]) -> dict[str, str | None]:
    """The file's values as ``load_dotenv`` expands them: in ``${NAME}``, a variable already
    set in ``environ`` wins over the file's earlier lines."""
    from dotenv import dotenv_values

    try:
        raw = dotenv_values(path, interpolate=False, encoding="utf-8")
    except (OSError, UnicodeError) as err:
        log.warning("cannot read %s: %s", path, getattr(err, "strerror", None) or err)
        return {}
    resolved: dict[str, str | None] = {}
    for name, value in raw.items():
        scope: dict[str, str | None] = {**resolved, **environ}

        def expand(match: re.Match[str], scope: Mapping[str, str | None] = scope) -> str:
            found = scope.get(match["name"], match["default"] or "")
            return found if found is not None else ""

        resolved[name] = None if value is None else _DOTENV_VARIABLE.sub(expand, value)
    return resolved


def _display(path: Path) -> str:
    """``path`` with the home directory as ``~``."""
    with contextlib.suppress(ValueError, RuntimeError):
        return "~/" + path.relative_to(Path.home()).as_posix()
    return path.as_posix()


# -- config.toml ------------------------------------------------------------------------------


def _read_config_text(path: Path) -> str | None:
    """The file's text with its line endings as written, or None when it does not exist."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise CredentialsFileError(f"{CONFIG_LABEL} is not UTF-8: fix or remove it") from None
    except OSError as err:
        reason = err.strerror or type(err).__name__
        raise CredentialsFileError(f"cannot read {CONFIG_LABEL}: {reason}") from None


def _invalid(where: str | None) -> CredentialsFileError:
    position = f" ({where})" if where else ""
    return CredentialsFileError(f"{CONFIG_LABEL} is not valid TOML{position}: fix or remove it")


def _parse_config(text: str) -> dict[str, Any]:
    """config.toml's ``text`` as runpod-python reads it (tomli); :class:`CredentialsFileError`
    naming the line and column if it is not TOML."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        found = _TOML_POSITION.search(str(err))
        raise _invalid(found and (found["where"] or "at its end")) from None


def _editable_config(text: str) -> Any:
    """The tomlkit document of config.toml's ``text`` (comments and layout kept)."""
    import tomlkit
    from tomlkit.exceptions import ParseError, TOMLKitError

    _parse_config(text)  # tomllib's error names the position as editors count it
    try:
        return tomlkit.parse(text)
    except ParseError as err:  # tomlkit counts columns from 0
        raise _invalid(f"line {err.line}, column {err.col + 1}") from None
    except TOMLKitError:
        raise _invalid(None) from None


def _read_config(path: Path) -> Mapping[str, Any] | None:
    text = _read_config_text(path)
    return None if text is None else _parse_config(text)


def _drop_table(document: Any, name: str) -> None:
    """Remove the (keyless) table ``name`` from the tomlkit ``document``; the comments and blank
    lines of its body stay where they were (they may speak of the next table)."""
    from tomlkit.items import InlineTable, Table, Whitespace

    table = document.get(name)
    body = table.value.as_string() if isinstance(table, Table) else ""
    index = next((n for n, (_, item) in enumerate(document.body) if item is table), None)
    if isinstance(table, (Table, InlineTable)):
        document.remove(name)
    if body and index is not None:  # remove() left an empty placeholder there
        document.body[index] = (None, Whitespace(body))


def _write_config(path: Path, text: str) -> None:
    """Write config.toml's new ``text``; a symlinked config.toml (dotfile managers) keeps its
    link: the target is replaced."""
    _write_private(Path(os.path.realpath(path)), text)


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` atomically; the file is 0600 from its creation on."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):  # POSIX; mkstemp asks for 0600, a umask may narrow it
            os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # the rename itself survives a crash
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


# -- redaction ----------------------------------------------------------------------------------

_SIGNED_NAMES = r"X-Amz-[A-Za-z-]+|X-Goog-[A-Za-z-]+|Signature|sig|token|access_token|Key-Pair-Id"
_SIGNED_URL = re.compile(
    rf"(?P<url>https?://[^\s?#'\"<>]+)\?"
    rf"(?P<query>(?:[^\s#'\"<>]*&)?(?:{_SIGNED_NAMES})=[^\s#'\"<>]*)",
    re.IGNORECASE,
)
_SIGNED_PARAMETER = re.compile(
    rf"(?<![\w-])(?P<name>{_SIGNED_NAMES})=[^\s&#'\"<>;,]+", re.IGNORECASE
)
_BEARER = re.compile(r"(?P<scheme>\bBearer)\s+[^\s'\"<>,;]+", re.IGNORECASE)
_RUNPOD_KEY = re.compile(r"\brpa_[A-Za-z0-9]{16,}\b")


def _strip_query(match: re.Match[str]) -> str:
    return f"{match['url']}?{REDACTED}"
