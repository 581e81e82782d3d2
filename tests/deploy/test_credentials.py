"""Where the API key comes from, how a login stores it (and a logout removes it), and how text
loses it (credentials.py).

The resolution order is checked against the official CLI's own ``get_api_key`` (runpod-flash
1.21.0) on the same environments, .env files and config.toml files.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flash_ls.deploy import credentials
from flash_ls.deploy.credentials import (
    ApiKey,
    CredentialsFileError,
    MissingApiKey,
    RedactingFilter,
    find_api_keys,
    has_legacy_credentials,
    legacy_path,
    redact,
    remove_api_key,
    remove_legacy_credentials,
    resolve_api_key,
    save_api_key,
)

ENV_KEY = "rpa_FROMENVIRONMENT000000000000000001"
DOTENV_KEY = "rpa_FROMDOTENVFILE00000000000000000002"
CONFIG_KEY = "rpa_FROMCONFIGTOML000000000000000000003"
RUNPODCTL_KEY = "rpa_FROMRUNPODCTL0000000000000000000004"
CONFIG = "~/.runpod/config.toml"
RUNPODCTL = "~/.runpod/config.toml (runpodctl)"


class Place:
    """A home and an app directory, with helpers to put a key in each source."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.app = root / "projects" / "myapp"
        self.home.mkdir(parents=True)
        self.app.mkdir(parents=True)
        self.env: dict[str, str] = {}

    @property
    def config(self) -> Path:
        return self.home / ".runpod" / "config.toml"

    def write_config(self, text: str) -> None:
        self.config.parent.mkdir(exist_ok=True)
        self.config.write_text(text)

    def write_dotenv(self, text: str, where: Path | None = None) -> None:
        ((where or self.app) / ".env").write_text(text)

    def resolve(self) -> ApiKey:
        return resolve_api_key(self.app, self.env, self.home)

    def found(self) -> str | None:
        """The key flash-ls resolves here, or None."""
        try:
            return self.resolve().value
        except MissingApiKey:
            return None


@pytest.fixture
def place(tmp_path: Path) -> Place:
    return Place(tmp_path)


# -- resolution order ---------------------------------------------------------------------------


SOURCES = {
    "environment": lambda p: p.env.update(RUNPOD_API_KEY=ENV_KEY),
    "dotenv": lambda p: p.write_dotenv(f"RUNPOD_API_KEY={DOTENV_KEY}\n"),
    "config": lambda p: p.write_config(f'[default]\napi_key = "{CONFIG_KEY}"\n'),
    "runpodctl": lambda p: p.write_config(f'apikey = "{RUNPODCTL_KEY}"\napiurl = "x"\n'),
}
EXPECTED = {
    "environment": (ENV_KEY, "RUNPOD_API_KEY"),
    "dotenv": (DOTENV_KEY, "myapp/.env"),
    "config": (CONFIG_KEY, CONFIG),
    "runpodctl": (RUNPODCTL_KEY, RUNPODCTL),
}
COMBINATIONS = [
    ("environment",),
    ("dotenv",),
    ("config",),
    ("runpodctl",),
    ("environment", "dotenv"),
    ("environment", "config"),
    ("environment", "runpodctl"),
    ("dotenv", "config"),
    ("dotenv", "runpodctl"),
    ("environment", "dotenv", "config"),
]


@pytest.mark.parametrize("sources", COMBINATIONS, ids=["+".join(c) for c in COMBINATIONS])
def test_the_first_source_in_order_wins(place: Place, sources: tuple[str, ...]) -> None:
    for source in sources:
        SOURCES[source](place)

    key = place.resolve()

    assert (key.value, key.source) == EXPECTED[sources[0]]
    stored = [s for s in sources if s in ("config", "runpodctl")]
    # A key from the environment or a .env hides the stored one (a common cause of 401s).
    expected_shadow = EXPECTED[stored[0]][1] if stored and sources[0] not in stored else None
    assert key.shadows == expected_shadow


def test_the_same_key_in_the_environment_hides_nothing(place: Place) -> None:
    place.env["RUNPOD_API_KEY"] = CONFIG_KEY
    SOURCES["config"](place)

    assert place.resolve() == ApiKey(CONFIG_KEY, "RUNPOD_API_KEY", None)


def test_no_source_is_one_actionable_line(place: Place) -> None:
    with pytest.raises(MissingApiKey) as raised:
        place.resolve()

    assert str(raised.value) == "no Runpod API key: run `flash-ls login` or set RUNPOD_API_KEY"


def test_a_default_table_without_a_key_hides_runpodctls(place: Place) -> None:
    # As the official CLI: runpodctl's top-level key counts only when there is no [default].
    place.write_config(f'apikey = "{RUNPODCTL_KEY}"\n\n[default]\nregion = "x"\n')

    with pytest.raises(MissingApiKey):
        place.resolve()


def test_an_empty_variable_hides_the_dotenv_but_not_the_login(place: Place) -> None:
    # load_dotenv never overrides a set variable, even an empty one; get_api_key skips it.
    place.env["RUNPOD_API_KEY"] = ""
    SOURCES["dotenv"](place)
    SOURCES["config"](place)

    assert place.resolve().source == CONFIG
    assert [k.source for k in find_api_keys(place.app, place.env, place.home)] == [CONFIG]


def test_the_nearest_dotenv_above_the_app_counts(place: Place) -> None:
    place.write_dotenv(f"RUNPOD_API_KEY={DOTENV_KEY}\n", where=place.root / "projects")

    key = place.resolve()

    assert key.value == DOTENV_KEY
    assert key.source == (place.root / "projects" / ".env").as_posix()


def test_a_nearer_dotenv_without_the_key_stops_the_walk(place: Place) -> None:
    # find_dotenv picks the nearest file; load_dotenv reads only that one.
    place.write_dotenv(f"RUNPOD_API_KEY={DOTENV_KEY}\n", where=place.root / "projects")
    place.write_dotenv("OTHER=1\n")
    SOURCES["config"](place)

    assert place.resolve().source == CONFIG


def test_python_dotenv_disabled_skips_the_file(place: Place) -> None:
    SOURCES["dotenv"](place)
    SOURCES["config"](place)
    place.env["PYTHON_DOTENV_DISABLED"] = "true"

    assert place.resolve().source == CONFIG


def test_no_app_root_reads_no_dotenv(place: Place) -> None:
    SOURCES["dotenv"](place)
    SOURCES["config"](place)

    assert resolve_api_key(None, place.env, place.home).source == CONFIG


DOTENV_FILES = {
    "export and comments": (
        "# the team's keys\nexport OTHER=1\nexport RUNPOD_API_KEY=rpa_abc123  # mine\n",
        "rpa_abc123",
    ),
    "double quotes": ('RUNPOD_API_KEY="rpa_q\\"uo#ted"\n', 'rpa_q"uo#ted'),
    "single quotes": ("RUNPOD_API_KEY='rpa_single#kept' # comment\n", "rpa_single#kept"),
    "spaces around": ("  RUNPOD_API_KEY =  rpa_spaced   \n", "rpa_spaced"),
    "expansion": ("PART=abc\nRUNPOD_API_KEY=rpa_${PART}_${MISSING:-def}\n", "rpa_abc_def"),
    "expansion prefers the environment": (
        "HOSTNAME_PART=file\nRUNPOD_API_KEY=rpa_${HOSTNAME_PART}\n",
        "rpa_environment",
    ),
    "last one wins": ("RUNPOD_API_KEY=rpa_first\nRUNPOD_API_KEY=rpa_second\n", "rpa_second"),
    "CRLF": ("RUNPOD_API_KEY=rpa_crlf\r\nOTHER=1\r\n", "rpa_crlf"),
}


@pytest.mark.parametrize("text, value", DOTENV_FILES.values(), ids=DOTENV_FILES.keys())
def test_dotenv_syntax(place: Place, text: str, value: str) -> None:
    place.env["HOSTNAME_PART"] = "environment"
    place.write_dotenv(text)

    assert place.resolve().value == value


@pytest.mark.parametrize(
    "text",
    ["RUNPOD_API_KEY\n", "RUNPOD_API_KEY=\n", 'RUNPOD_API_KEY="  "\n', "# RUNPOD_API_KEY=rpa_x\n"],
    ids=["no value", "empty", "blank", "commented out"],
)
def test_a_dotenv_without_a_usable_key_falls_through(place: Place, text: str) -> None:
    place.write_dotenv(text)
    SOURCES["config"](place)

    assert place.resolve().source == CONFIG


def test_an_inline_default_table_counts(place: Place) -> None:
    place.write_config(f'default = {{ api_key = "{CONFIG_KEY}" }}\n')

    assert place.resolve().value == CONFIG_KEY


def test_a_key_with_spaces_inside_is_refused_without_showing_it(place: Place) -> None:
    place.env["RUNPOD_API_KEY"] = "rpa_two words"

    with pytest.raises(MissingApiKey) as raised:
        place.resolve()

    assert "rpa_two" not in str(raised.value)
    assert "RUNPOD_API_KEY" in str(raised.value)


# -- the official CLI agrees ------------------------------------------------------------------

# What runpod_flash does at import (load the nearest .env from the working directory, without
# overriding; locate ~/.runpod/config.toml from HOME), then its get_api_key, for each case.
OFFICIAL = """
import json, os, sys
cases = json.load(sys.stdin)
from dotenv import find_dotenv, load_dotenv
import runpod.cli.groups.config.functions as runpod_config
from runpod_flash.core.credentials import get_api_key
answers = []
for case in cases:
    os.environ.clear()
    os.environ.update(case["env"])
    os.chdir(case["cwd"])
    load_dotenv(find_dotenv(usecwd=True))
    runpod_config.CREDENTIAL_FILE = os.path.join(case["home"], ".runpod", "config.toml")
    answers.append(get_api_key())
json.dump(answers, sys.stdout)
"""

PARITY_CASES: dict[str, tuple[dict[str, str], str | None, str | None]] = {
    # name: (environment, .env text, config.toml text)
    "environment": ({"RUNPOD_API_KEY": ENV_KEY}, None, None),
    "all three": (
        {"RUNPOD_API_KEY": ENV_KEY},
        f"RUNPOD_API_KEY={DOTENV_KEY}\n",
        f'[default]\napi_key = "{CONFIG_KEY}"\n',
    ),
    "dotenv over config": (
        {},
        f"export RUNPOD_API_KEY='{DOTENV_KEY}'  # c\n",
        f'[default]\napi_key = "{CONFIG_KEY}"\n',
    ),
    "config": ({}, None, f'# mine\n[default]\napi_key = "{CONFIG_KEY}"\n'),
    "runpodctl": ({}, None, f'apikey = "{RUNPODCTL_KEY}"\n'),
    "default without key": ({}, None, f'apikey = "{RUNPODCTL_KEY}"\n[default]\nx = 1\n'),
    "non-string key": ({}, None, "[default]\napi_key = 12\n"),
    "inline default": ({}, None, f'default = {{ api_key = "{CONFIG_KEY}" }}\n'),
    "empty variable": (
        {"RUNPOD_API_KEY": ""},
        f"RUNPOD_API_KEY={DOTENV_KEY}\n",
        f'[default]\napi_key = "{CONFIG_KEY}"\n',
    ),
    "blank variable": ({"RUNPOD_API_KEY": "   "}, None, f'[default]\napi_key = "{CONFIG_KEY}"\n'),
    "expansion": (
        {"PART": "env"},
        'PART=file\nRUNPOD_API_KEY="rpa_${PART}_${NOPE:-dflt}_x"\n',
        None,
    ),
    "single-quoted expansion": ({}, "A=1\nRUNPOD_API_KEY='rpa_${A}'\n", None),
    "escapes": ({}, 'RUNPOD_API_KEY="rpa_a\\"b\\\\c"\n', None),
    "dotenv disabled": (
        {"PYTHON_DOTENV_DISABLED": "1"},
        f"RUNPOD_API_KEY={DOTENV_KEY}\n",
        f'[default]\napi_key = "{CONFIG_KEY}"\n',
    ),
    "nothing": ({}, "OTHER=1\n", None),
}


def official_keys(places: list[Place], tmp_path: Path) -> list[str | None]:
    """The key the official ``get_api_key`` finds in each place (its environment, app, home)."""
    cases = [{"env": p.env, "cwd": str(p.app), "home": str(p.home)} for p in places]
    empty = tmp_path / "nowhere"
    empty.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", OFFICIAL],
        input=json.dumps(cases),
        cwd=empty,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(empty)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    answers: list[str | None] = json.loads(done.stdout)
    return answers


def test_resolution_matches_the_official_cli(tmp_path: Path) -> None:
    places: list[Place] = []
    for n, (env, dotenv, config) in enumerate(PARITY_CASES.values()):
        place = Place(tmp_path / f"case{n}")
        place.env = {"PATH": os.environ.get("PATH", ""), **env}
        if dotenv is not None:
            place.write_dotenv(dotenv)
        if config is not None:
            place.write_config(config)
        places.append(place)

    official = official_keys(places, tmp_path)

    ours = [place.found() for place in places]
    assert dict(zip(PARITY_CASES, ours, strict=True)) == dict(
        zip(PARITY_CASES, official, strict=True)
    )


# -- a config.toml that is not TOML -------------------------------------------------------------


def test_a_malformed_config_is_one_clear_line(place: Place) -> None:
    place.write_config('[default]\napi_key = "unterminated\n')

    with pytest.raises(CredentialsFileError) as raised:
        place.resolve()

    message = str(raised.value)
    assert message.startswith("~/.runpod/config.toml is not valid TOML (line 2, column ")
    assert message.endswith("): fix or remove it")
    assert isinstance(raised.value, MissingApiKey)  # one `except` serves the deploy commands


def test_a_malformed_config_does_not_matter_when_the_environment_has_a_key(place: Place) -> None:
    place.write_config("[default\n")
    place.env["RUNPOD_API_KEY"] = ENV_KEY

    assert place.resolve() == ApiKey(ENV_KEY, "RUNPOD_API_KEY", None)


def test_a_config_that_is_not_utf8_is_one_clear_line(place: Place) -> None:
    place.config.parent.mkdir()
    place.config.write_bytes(b'[default]\napi_key = "\xff"\n')

    with pytest.raises(CredentialsFileError, match="is not UTF-8: fix or remove it"):
        place.resolve()


def test_an_unreadable_config_is_one_clear_line(place: Place) -> None:
    place.config.mkdir(parents=True)  # a directory where the file should be

    with pytest.raises(CredentialsFileError, match=r"^cannot read ~/.runpod/config.toml: "):
        place.resolve()


# -- saving ------------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


@pytest.mark.parametrize("mask", [0o000, 0o022, 0o077, 0o277], ids=oct)
def test_a_new_config_is_0600_in_a_0700_directory(place: Place, mask: int, umask: None) -> None:
    os.umask(mask)

    path = save_api_key(CONFIG_KEY, place.home)

    assert path == place.config
    assert path.read_text() == f'[default]\napi_key = "{CONFIG_KEY}"\n'
    assert (_mode(path), _mode(path.parent)) == (0o600, 0o700)


def test_an_existing_file_keeps_everything_but_the_key_byte_for_byte(place: Place) -> None:
    before = (
        "# runpodctl and flash share this file\n"
        'apikey = "rpa_RUNPODCTLKEEPSTHIS"\n'
        'apiurl = "https://api.runpod.io/graphql"\n'
        "\n"
        "[default]   # the flash profile\n"
        'api_key = "rpa_OLDKEY"  # replaced on login\n'
        "region   =   'eu'\n"
        "\n"
        "[work]\n"
        'api_key = "rpa_WORKKEY"\n'
    )
    place.write_config(before)
    os.chmod(place.config, 0o644)

    save_api_key(CONFIG_KEY, place.home)

    assert place.config.read_text() == before.replace("rpa_OLDKEY", CONFIG_KEY)
    assert _mode(place.config) == 0o600  # a loose mode is tightened by the rewrite


def test_a_file_without_a_default_table_gets_one_at_the_end(place: Place) -> None:
    before = '# runpodctl\r\napikey = "rpa_RUNPODCTL"\r\n'
    place.config.parent.mkdir()
    place.config.write_bytes(before.encode())

    save_api_key(CONFIG_KEY, place.home)

    after = place.config.read_bytes().decode()
    assert after.startswith(before)  # CRLF line endings kept
    assert "[default]" in after[len(before) :] and CONFIG_KEY in after[len(before) :]
    assert place.resolve() == ApiKey(CONFIG_KEY, CONFIG)  # no longer runpodctl's


def test_an_existing_directory_keeps_its_mode(place: Place) -> None:
    place.config.parent.mkdir(mode=0o755)
    os.chmod(place.config.parent, 0o755)

    save_api_key(CONFIG_KEY, place.home)

    assert _mode(place.config.parent) == 0o755


def test_a_symlinked_config_stays_a_link(place: Place, tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    (dotfiles / "runpod.toml").write_text("[other]\nx = 1\n")
    place.config.parent.mkdir()
    place.config.symlink_to(dotfiles / "runpod.toml")

    save_api_key(CONFIG_KEY, place.home)

    assert place.config.is_symlink()
    assert (dotfiles / "runpod.toml").read_text() == (
        f'[other]\nx = 1\n\n[default]\napi_key = "{CONFIG_KEY}"\n'
    )


def test_a_malformed_file_is_never_overwritten(place: Place) -> None:
    place.write_config('apikey = "rpa_RUNPODCTL"\n[default\n')
    before = place.config.read_bytes()

    with pytest.raises(CredentialsFileError):
        save_api_key(CONFIG_KEY, place.home)

    assert place.config.read_bytes() == before


@pytest.mark.parametrize("failing", ["fsync", "replace"])
def test_a_failed_write_leaves_the_old_file_whole(
    place: Place, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    before = f'# keep\n[default]\napi_key = "{CONFIG_KEY}"\n'
    place.write_config(before)

    def broken(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(credentials.os, failing, broken)
    with pytest.raises(OSError, match="No space left"):
        save_api_key(ENV_KEY, place.home)
    monkeypatch.undo()

    assert place.config.read_text() == before
    assert sorted(p.name for p in place.config.parent.iterdir()) == ["config.toml"]


def test_the_official_cli_reads_what_a_login_saved(place: Place) -> None:
    place.write_config('apikey = "rpa_RUNPODCTL"\n')
    save_api_key(CONFIG_KEY, place.home)
    script = (
        "import runpod.cli.groups.config.functions as c, sys; c.CREDENTIAL_FILE = sys.argv[1]\n"
        "from runpod_flash.core.credentials import get_api_key; print(get_api_key())"
    )

    done = subprocess.run(
        [sys.executable, "-c", script, str(place.config)],
        cwd=place.home,
        env={"PATH": os.environ.get("PATH", ""), "HOME": str(place.home)},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.stdout.strip() == CONFIG_KEY, done.stderr


# -- logout ------------------------------------------------------------------------------------

LOGOUTS = {
    "other keys of default stay": (
        f'[default]\napi_key = "{CONFIG_KEY}"\nregion = "eu"\n',
        '[default]\nregion = "eu"\n',
    ),
    "an emptied default goes": (
        f'apikey = "{RUNPODCTL_KEY}"\n\n[default]\napi_key = "{CONFIG_KEY}"\n',
        f'apikey = "{RUNPODCTL_KEY}"\n\n',
    ),
    "its comments stay": (
        f'[work]\nx = 1\n\n[default]\napi_key = "{CONFIG_KEY}"\n# the next one\n[z]\ny = 2\n',
        "[work]\nx = 1\n\n# the next one\n[z]\ny = 2\n",
    ),
    "the only key: an empty file": (f'[default]\napi_key = "{CONFIG_KEY}"\n', ""),
    "CRLF": (
        f'apikey = "{RUNPODCTL_KEY}"\r\n[default]\r\napi_key = "{CONFIG_KEY}"\r\n',
        f'apikey = "{RUNPODCTL_KEY}"\r\n',
    ),
    "inline": (f'default = {{ api_key = "{CONFIG_KEY}" }}\nother = 1\n', "other = 1\n"),
    "a sub-table keeps default": (
        f'[default]\napi_key = "{CONFIG_KEY}"\n[default.sub]\na = 1\n',
        "[default]\n[default.sub]\na = 1\n",
    ),
    "a key that is not a string": ("[default]\napi_key = 12\nx = 1\n", "[default]\nx = 1\n"),
}


@pytest.mark.parametrize("before, after", LOGOUTS.values(), ids=LOGOUTS.keys())
def test_a_logout_removes_only_the_key(place: Place, before: str, after: str) -> None:
    place.config.parent.mkdir()
    place.config.write_bytes(before.encode())

    assert remove_api_key(place.home) is True

    assert place.config.read_bytes().decode() == after
    assert _mode(place.config) == 0o600
    assert sorted(p.name for p in place.config.parent.iterdir()) == ["config.toml"]


@pytest.mark.parametrize(
    "text",
    [None, f'apikey = "{RUNPODCTL_KEY}"\n', '[default]\nregion = "eu"\n', "default = 1\n"],
    ids=["no file", "runpodctl only", "no key in default", "default not a table"],
)
def test_a_logout_without_a_key_writes_nothing(place: Place, text: str | None) -> None:
    if text is not None:
        place.write_config(text)
        os.chmod(place.config, 0o644)

    assert remove_api_key(place.home) is False

    if text is None:
        assert not place.config.parent.exists()
    else:
        assert (place.config.read_text(), _mode(place.config)) == (text, 0o644)


def test_a_logout_never_rewrites_a_malformed_file(place: Place) -> None:
    place.write_config(f'[default]\napi_key = "{CONFIG_KEY}"\n[default\n')
    before = place.config.read_bytes()

    with pytest.raises(CredentialsFileError, match="is not valid TOML"):
        remove_api_key(place.home)

    assert place.config.read_bytes() == before


LOGGED_OUT_FILES = {
    "runpodctl's key comes back": (
        f'apikey = "{RUNPODCTL_KEY}"\n[default]\napi_key = "{CONFIG_KEY}"\n'
    ),
    "a default with other keys hides it": (
        f'apikey = "{RUNPODCTL_KEY}"\n[default]\napi_key = "{CONFIG_KEY}"\nregion = "x"\n'
    ),
    "nothing left": f'[default]\napi_key = "{CONFIG_KEY}"\n',
    "inline": f'apikey = "{RUNPODCTL_KEY}"\ndefault = {{ api_key = "{CONFIG_KEY}" }}\n',
}


def test_the_official_cli_reads_a_logged_out_file_as_flash_ls_does(tmp_path: Path) -> None:
    places = [Place(tmp_path / f"case{n}") for n in range(len(LOGGED_OUT_FILES))]
    for place, text in zip(places, LOGGED_OUT_FILES.values(), strict=True):
        place.env = {"PATH": os.environ.get("PATH", "")}
        place.write_config(text)
        remove_api_key(place.home)

    official = official_keys(places, tmp_path)

    ours = [place.found() for place in places]
    assert ours == [RUNPODCTL_KEY, None, None, RUNPODCTL_KEY]
    assert dict(zip(LOGGED_OUT_FILES, ours, strict=True)) == dict(
        zip(LOGGED_OUT_FILES, official, strict=True)
    )


# -- the legacy credentials file -----------------------------------------------------------------


def test_the_legacy_file_is_never_read(place: Place) -> None:
    legacy_path(place.home).parent.mkdir(parents=True)
    legacy_path(place.home).write_text(f'api_key = "{CONFIG_KEY}"\n')

    assert has_legacy_credentials(place.home)
    with pytest.raises(MissingApiKey):
        place.resolve()


def test_removing_the_legacy_file_removes_its_emptied_directory(place: Place) -> None:
    path = legacy_path(place.home)
    path.parent.mkdir(parents=True)
    path.write_text(f'api_key = "{CONFIG_KEY}"\n')

    assert remove_legacy_credentials(place.home) is True

    assert not path.parent.exists() and (place.home / ".config").is_dir()
    assert not has_legacy_credentials(place.home)
    assert remove_legacy_credentials(place.home) is False  # nothing left to remove


def test_removing_a_linked_legacy_file_keeps_its_target(place: Place, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere.toml"
    target.write_text("api_key = 'x'\n")
    path = legacy_path(place.home)
    path.parent.mkdir(parents=True)
    path.symlink_to(target)
    (path.parent / "other").write_text("")

    assert remove_legacy_credentials(place.home) is True

    assert not path.is_symlink() and target.exists() and path.parent.is_dir()


def test_a_directory_at_the_legacy_path_is_not_removed(place: Place) -> None:
    legacy_path(place.home).mkdir(parents=True)

    assert remove_legacy_credentials(place.home) is False
    assert legacy_path(place.home).is_dir()


# -- never shown ---------------------------------------------------------------------------------


def test_an_api_key_never_prints_its_value() -> None:
    key = ApiKey(ENV_KEY, "RUNPOD_API_KEY", shadows=CONFIG)

    shown = [repr(key), str(key), f"{key}", f"{key!r}", "%s" % (key,), repr([key])]  # noqa: UP031

    assert all(ENV_KEY not in text and ENV_KEY[-8:] not in text for text in shown), shown
    assert str(key) == "API key from RUNPOD_API_KEY"
    assert key.hint == "…0001"
    assert ApiKey("rpa_short", "x").hint == "…"  # too short to show any of it


REDACTIONS = {
    "the secret": (f"sent {ENV_KEY} twice: {ENV_KEY}", "sent <redacted> twice: <redacted>"),
    "bearer": ("Authorization: Bearer abc.def-ghi", "Authorization: Bearer <redacted>"),
    "runpod key without being told": (
        "key rpa_ABCDEFGHIJKLMNOPQRST here",
        "key <redacted> here",
    ),
    "s3 presigned url": (
        "PUT https://bucket.s3.amazonaws.com/a/b.tar.gz?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIA%2F20260101&X-Amz-Signature=0123abcd failed",
        "PUT https://bucket.s3.amazonaws.com/a/b.tar.gz?<redacted> failed",
    ),
    "signature later in the query": (
        "'http://127.0.0.1:8/storage/k?size=10&Signature=xyz'",
        "'http://127.0.0.1:8/storage/k?<redacted>'",
    ),
    "token parameter": ("GET http://h/p?token=s3cr3t", "GET http://h/p?<redacted>"),
    "parameters outside a url": (
        "X-Amz-Signature=abc; sig=def, access_token=ghi",
        "X-Amz-Signature=<redacted>; sig=<redacted>, access_token=<redacted>",
    ),
    "an ordinary url keeps its query": (
        "see https://docs.runpod.io/x?page=2&design=1",
        "see https://docs.runpod.io/x?page=2&design=1",
    ),
}


@pytest.mark.parametrize("text, expected", REDACTIONS.values(), ids=REDACTIONS.keys())
def test_redact(text: str, expected: str) -> None:
    assert redact(text, ENV_KEY, "") == expected


def test_the_logging_filter_redacts_messages_arguments_and_tracebacks(
    caplog: pytest.LogCaptureFixture,
) -> None:
    secrets = RedactingFilter()
    secrets.add(ENV_KEY)
    caplog.handler.addFilter(secrets)
    logger = logging.getLogger("flash_ls.test")
    try:
        with caplog.at_level(logging.DEBUG):
            logger.debug("sending %s", ENV_KEY)
            try:
                raise RuntimeError(f"bad {ENV_KEY}")
            except RuntimeError:
                logger.exception("failed")
    finally:
        caplog.handler.removeFilter(secrets)

    assert ENV_KEY not in caplog.text
    assert "sending <redacted>" in caplog.text and "RuntimeError: bad <redacted>" in caplog.text
