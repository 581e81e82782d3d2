"""FL307 (rules/package_reexports.py): the cases mutation testing found unchecked.

Each test pins the findings whole (message, span, notes, related location, fix; `apps.full`).
See docs/reliability.md, "Mutation testing".
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, full

pytestmark = pytest.mark.usefixtures("no_rule_crashes")  # tests/rules/conftest.py


def fl307(root: Path, files: dict[str, str | bytes]) -> list[str]:
    return [line for d in check(root, files) if d.code == "FL307" for line in full(d)]


# A package that re-exports from a module, from a star-imported module and subpackage (after a
# star import of a module outside the app), guarded, and defines a name itself; imports of each
# from it, absolute and relative, and module-level uses through `import svc`. Not reported: a
# name the package does not bind (`other` is only in svc/api.py, which is no star import),
# private names of a star-imported module, a guarded star import, attributes of modules that
# are no package (`tools.thing`) or not of the app (`json.dumps`), an unbound name.
# A name found through a star import has no binding in __init__.py: its related location is
# the start of the file.
APP = {
    "svc/__init__.py": """from typing import TYPE_CHECKING
from .api import api
from os.path import *
from .helpers import *
from .sub import *
if TYPE_CHECKING:
    from .guarded import *
LOCAL = 1
""",
    "svc/api.py": 'from runpod_flash import Endpoint\napi = Endpoint(name="svc")\nother = 1\n',
    "svc/helpers.py": "import runpod_flash\n\ndef helper(): ...\n_private = 1\n",
    "svc/guarded.py": "import runpod_flash\n\ndef hidden(): ...\n",
    "svc/sub/__init__.py": "from .impl import thing\n",
    "svc/sub/impl.py": "def thing(): ...\n",
    "tools.py": "thing = 1\n",
    "main.py": """import json
import tools
import svc
from svc import LOCAL, api
from svc import helper, thing
from svc import other, _private, nothing_here, hidden

x = json.dumps
y = tools.thing
z = unknown_name.attr
w = svc.LOCAL
v: int = svc.thing

@svc.api.post("/x")
async def handler(): ...

svc.helper()
""",
    "pkg/__init__.py": "from .api import api\n",
    "pkg/api.py": 'from runpod_flash import Endpoint\napi = Endpoint(name="pkg")\n',
    "pkg/svc/__init__.py": "from .api import api\n",
    "pkg/svc/api.py": 'from runpod_flash import Endpoint\napi = Endpoint(name="pkgsvc")\n',
    "pkg/svc2/__init__.py": "from tools import thing\n",
    "pkg/worker.py": "from . import api\nfrom .svc import api as svc_api\nfrom .svc2 import thing\n",
}


def test_fl307_reexports_through_imports_stars_and_attributes(tmp_path: Path) -> None:
    assert fl307(tmp_path, APP) == [
        "main.py:4:16-4:21 FL307 error: 'LOCAL' is imported through svc/__init__.py",
        "note: svc/__init__.py defines 'LOCAL', but the build registers an empty package 'svc' and the import fails",
        "note: move 'LOCAL' out of svc/__init__.py into a module and import it from there",
        "related __init__.py:8:0-8:5: 'LOCAL' is bound here",
        "main.py:4:23-4:26 FL307 error: 'api' is imported through svc/__init__.py",
        "note: svc/__init__.py re-exports 'api', but the build imports the module svc.api instead",
        "note: import it from svc.api, the module that defines it",
        "related __init__.py:2:17-2:20: 'api' is bound here",
        "fix (safe=True): Import from the defining module: `from svc.api import api`",
        "  edit main.py:4:21-4:26 ''",
        "  edit main.py:5:0-5:0 'from svc.api import api\\n'",
        "main.py:5:16-5:22 FL307 error: 'helper' is imported through svc/__init__.py",
        "note: svc/__init__.py re-exports 'helper', but the build registers an empty package 'svc' and the import fails",
        "note: import it from svc.helpers, the module that defines it",
        "related __init__.py:1:0-1:0: 'helper' is bound here",
        "fix (safe=True): Import each name from its defining module",
        "  edit main.py:5:0-5:29 'from svc.helpers import helper\\nfrom svc.sub.impl import thing'",
        "main.py:5:24-5:29 FL307 error: 'thing' is imported through svc/__init__.py",
        "note: svc/__init__.py re-exports 'thing', but the build registers an empty package 'svc' and the import fails",
        "note: import it from svc.sub.impl, the module that defines it",
        "related __init__.py:1:0-1:0: 'thing' is bound here",
        "fix (safe=True): Import each name from its defining module",
        "  edit main.py:5:0-5:29 'from svc.helpers import helper\\nfrom svc.sub.impl import thing'",
        "main.py:11:4-11:13 FL307 error: 'svc.LOCAL' goes through svc/__init__.py",
        "note: the build registers an empty package 'svc' instead of running svc/__init__.py, so 'svc.LOCAL' is not what it binds and the build fails",
        "note: move 'LOCAL' out of svc/__init__.py into a module and import it from there",
        "related __init__.py:8:0-8:5: 'LOCAL' is bound here",
        "main.py:12:9-12:18 FL307 error: 'svc.thing' goes through svc/__init__.py",
        "note: the build registers an empty package 'svc' instead of running svc/__init__.py, so 'svc.thing' is not what it binds and the build fails",
        "note: import it with `from svc.sub.impl import thing` and use 'thing'",
        "related __init__.py:1:0-1:0: 'thing' is bound here",
        "main.py:14:1-14:13 FL307 error: 'svc.api' goes through svc/__init__.py",
        "note: the build registers an empty package 'svc' instead of running svc/__init__.py, so 'svc.api' is not what it binds and the build fails",
        "note: import it with `from svc.api import api` and use 'api'",
        "related __init__.py:2:17-2:20: 'api' is bound here",
        "main.py:17:0-17:10 FL307 error: 'svc.helper' goes through svc/__init__.py",
        "note: the build registers an empty package 'svc' instead of running svc/__init__.py, so 'svc.helper' is not what it binds and the build fails",
        "note: import it with `from svc.helpers import helper` and use 'helper'",
        "related __init__.py:1:0-1:0: 'helper' is bound here",
        "worker.py:1:14-1:17 FL307 error: 'api' is imported through pkg/__init__.py",
        "note: pkg/__init__.py re-exports 'api', but the build imports the module pkg.api instead",
        "note: import it from pkg.api, the module that defines it",
        "related __init__.py:1:17-1:20: 'api' is bound here",
        "fix (safe=True): Import from the defining module: `from .api import api`",
        "  edit worker.py:1:5-1:6 '.api'",
        "worker.py:2:17-2:31 FL307 error: 'api' is imported through pkg/svc/__init__.py",
        "note: pkg/svc/__init__.py re-exports 'api', but the build imports the module pkg.svc.api instead",
        "note: import it from pkg.svc.api, the module that defines it",
        "related __init__.py:1:17-1:20: 'api' is bound here",
        "fix (safe=True): Import from the defining module: `from .svc.api import api as svc_api`",
        "  edit worker.py:2:5-2:9 '.svc.api'",
        "worker.py:3:18-3:23 FL307 error: 'thing' is imported through pkg/svc2/__init__.py",
        "note: pkg/svc2/__init__.py re-exports 'thing', but the build registers an empty package 'pkg.svc2' and the import fails",
        "note: import it from tools, the module that defines it",
        "related __init__.py:1:18-1:23: 'thing' is bound here",
        "fix (safe=True): Import from the defining module: `from tools import thing`",
        "  edit worker.py:3:5-3:10 'tools'",
    ]


def chain(levels: int) -> dict[str, str | bytes]:
    """c/__init__.py re-exports x from c.c, which re-exports it from c.c.c, ... ``levels``
    packages deep; the last one imports it from a module."""
    files: dict[str, str | bytes] = {"main.py": "import runpod_flash\nfrom c import x\n"}
    for level in range(1, levels + 1):
        files["/".join(["c"] * level) + "/__init__.py"] = "from .c import x\n"
    files["/".join(["c"] * (levels + 1)) + ".py"] = "x = 1\n"
    return files


def test_fl307_reexport_chains_are_followed_17_packages_deep(tmp_path: Path) -> None:
    found = [d for d in check(tmp_path / "a", chain(17)) if d.code == "FL307"]
    assert found[0].notes[1] == f"import it from {'.'.join(['c'] * 18)}, the module that defines it"
    # One package more and the chain is cut where the search stops.
    found = [d for d in check(tmp_path / "b", chain(18)) if d.code == "FL307"]
    assert found[0].notes[1] == f"import it from {'.'.join(['c'] * 18)}, the module that defines it"


# Two names moved to one module (one statement); `import json` in __init__.py; a star import
# of the package (nothing to say); a from-imported name used dotted (`api.post`: the import is
# the finding, not the use); an attribute __init__.py does not bind, then one it does, twice.
SECOND = {
    "svc/__init__.py": "import json\nfrom .api import api, other\nLOCAL = 1\n",
    "svc/api.py": 'from runpod_flash import Endpoint\napi = Endpoint(name="svc")\nother = 1\n',
    "main.py": (
        "import os\nimport svc\nfrom svc import api, other\nfrom svc import json\nfrom svc import *\n"
        "\nx = svc.missing\ny = svc.LOCAL\nz = svc.LOCAL\n"
        '\n@api.post("/x")\nasync def handler(): ...\n'
    ),
}


def test_fl307_one_statement_plain_imports_and_attributes_once(tmp_path: Path) -> None:
    assert fl307(tmp_path, SECOND) == [
        "main.py:3:16-3:19 FL307 error: 'api' is imported through svc/__init__.py",
        "note: svc/__init__.py re-exports 'api', but the build imports the module svc.api instead",
        "note: import it from svc.api, the module that defines it",
        "related __init__.py:2:17-2:20: 'api' is bound here",
        "fix (safe=True): Import from the defining module: `from svc.api import api, other`",
        "  edit main.py:3:5-3:8 'svc.api'",
        "main.py:3:21-3:26 FL307 error: 'other' is imported through svc/__init__.py",
        "note: svc/__init__.py re-exports 'other', but the build registers an empty package 'svc' and the import fails",
        "note: import it from svc.api, the module that defines it",
        "related __init__.py:2:22-2:27: 'other' is bound here",
        "fix (safe=True): Import from the defining module: `from svc.api import api, other`",
        "  edit main.py:3:5-3:8 'svc.api'",
        "main.py:4:16-4:20 FL307 error: 'json' is imported through svc/__init__.py",
        "note: svc/__init__.py defines 'json', but the build registers an empty package 'svc' and the import fails",
        "note: move 'json' out of svc/__init__.py into a module and import it from there",
        "related __init__.py:1:7-1:11: 'json' is bound here",
        "main.py:8:4-8:13 FL307 error: 'svc.LOCAL' goes through svc/__init__.py",
        "note: the build registers an empty package 'svc' instead of running svc/__init__.py, so 'svc.LOCAL' is not what it binds and the build fails",
        "note: move 'LOCAL' out of svc/__init__.py into a module and import it from there",
        "related __init__.py:3:0-3:5: 'LOCAL' is bound here",
    ]


def star_chain(levels: int) -> dict[str, str | bytes]:
    """Like ``chain``, with ``from .c import *`` at every level."""
    files = chain(levels)
    for path in files:
        if path.endswith("__init__.py"):
            files[path] = "from .c import *\n"
    files["/".join(["c"] * (levels + 1)) + ".py"] = "import runpod_flash\nx = 1\n"
    return files


def test_fl307_star_import_chains_are_followed_17_packages_deep(tmp_path: Path) -> None:
    found = [d for d in check(tmp_path / "a", star_chain(17)) if d.code == "FL307"]
    assert found[0].notes[1] == f"import it from {'.'.join(['c'] * 18)}, the module that defines it"
    # One more and the name is not found at all (a star import binds no name to fall back on).
    assert [d for d in check(tmp_path / "b", star_chain(18)) if d.code == "FL307"] == []


def test_fl307_the_app_root_is_no_package(tmp_path: Path) -> None:
    # An __init__.py at the app root makes no package of it: the build imports main.py as a
    # top-level module.
    files: dict[str, str | bytes] = {
        "__init__.py": "from .api import api\n",
        "api.py": "import runpod_flash\napi = 1\n",
        "main.py": "import runpod_flash\nfrom . import api\n",
    }
    assert fl307(tmp_path, files) == []
