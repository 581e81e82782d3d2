"""FL1xx, FL2xx and FL3xx messages are one short line: what is wrong, naming what is involved.

The why and the what-to-do are notes (ruff's bar: a message under 80 characters). Checked over
every fixture app and over apps that trigger every rule of these families, with endpoint,
function and file names as long as real apps use.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from apps import check, load_app

from flash_ls.diagnostic import Diagnostic
from flash_ls.rules.engine import check_app
from flash_ls.rules.registry import all_rules

FIXTURE_APPS = Path(__file__).parents[2] / "fixtures" / "apps"
FAMILIES = ("FL1", "FL2", "FL3")
MAX_MESSAGE = 80

# Names as long as the flash-examples ones: the fixed part of each message leaves room for them.
NAME = "03_gpu_inference"
SDK = "from runpod_flash import Endpoint, GpuGroup, LiveLoadBalancer, remote\n"

TRIGGERS: dict[str, dict[str, str]] = {
    "identity": {
        "text_to_speech_worker.py": SDK
        + f'\n@Endpoint(name="{NAME}", gpu=GpuGroup.ADA_24)\n'
        + "async def generate_speech_from_text(text: str):\n    return text\n"
        + f'\n@Endpoint(name="{NAME}")\n'
        + "async def list_available_voices():\n    return []\n"
        + "\nspeak_alias = generate_speech_from_text\n"
        + f'\nunused_endpoint = Endpoint(name="{NAME}_unused")\n'
        + f'\n@Endpoint(name="{NAME}/models")\ndef bad_name(): ...\n'
        + '\n@Endpoint(name="")\ndef empty_name(): ...\n'
        + f'\n@Endpoint(name="{NAME}-fb")\ndef flashboot_name(): ...\n'
        + '\nremote_client = Endpoint(id="abc123")\n'
        + "\n@remote_client\ndef decorated_by_client(): ...\n"
        + '\n@remote_client.post("/generate")\ndef routed_by_client(): ...\n'
        + f'\nboth = Endpoint(name="{NAME}_both", id="abc", image="me/img:1")\n'
        + 'nameless = Endpoint(image="me/img:1")\n'
        + f'\nmixed_api = Endpoint(name="{NAME}_mixed")\n'
        + '\n@mixed_api.post("/generate")\ndef mixed_route(): ...\n'
        + "\n@mixed_api\ndef mixed_queue(): ...\n",
        "inference/other_speech_worker.py": SDK
        + f'\n@Endpoint(name="{NAME}")\ndef generate_speech_from_text(): ...\n',
        "kinds/queue_kind.py": SDK + f'\n@Endpoint(name="{NAME}_kinds")\ndef queue_kind(): ...\n',
        "kinds/lb_kind.py": SDK
        + f'\nkind_api = Endpoint(name="{NAME}_kinds")\n'
        + '\n@kind_api.get("/status")\ndef lb_kind(): ...\n',
        "services/common_endpoints.py": SDK + f'\nshared_api = Endpoint(name="{NAME}_lb")\n',
        "services/inference_routes.py": "from services.common_endpoints import shared_api\n"
        + '\n@shared_api.post("/classify")\nasync def classify_text(text: str):\n    return text\n',
    },
    "routes": {
        "load_balancer_routes.py": SDK
        + f'\nrouted_api = Endpoint(name="{NAME}_api")\n'
        + '\n@routed_api.get("/items/{item_identifier}")\ndef get_item_by_id(item_identifier: str): ...\n'
        + '\n@routed_api.get("/items/{item_identifier}")\ndef read_item_again(): ...\n'
        + '\n@routed_api.get("/items/current_user")\ndef zz_current_user(): ...\n'
        + '\n@routed_api.get("/ping")\ndef ping_handler(): ...\n'
        + '\n@routed_api.post("generate_embeddings_for_text")\ndef missing_slash(): ...\n'
        + '\n@routed_api.post(f"/{NAME}/generate")\ndef dynamic_path(): ...\n'
        + "\n@routed_api.post(12345)\ndef numeric_path(): ...\n"
        + "\n@routed_api.post()\ndef no_path_given(): ...\n"
        + '\n@routed_api.head("/health")\ndef head_method(): ...\n'
        + '\n@routed_api.post("/extra", {"payload": "value"}, timeout=30, retries=3)\n'
        + "def with_extra_arguments(): ...\n"
        + '\nunnamed_api = Endpoint(cpu="cpu3c-1-2")\n'
        + '\n@unnamed_api.post("/classify_long_document_text")\ndef unnamed_a(): ...\n'
        + '\n@unnamed_api.post("/summarize")\ndef unnamed_b(): ...\n'
        + '\n@remote(LiveLoadBalancer(name="legacy_load_balancer"), method="post", path="/x")\n'
        + "async def legacy_route(): ...\n",
    },
    "imports": {
        "gpu_image_worker.py": "import numpy, pandas, sentence_transformers\n"
        + "from image_tools import resize_image_helper\n"
        + "from preprocessing_workers import preprocess_document_text\n"
        + "from service_package import service_endpoint\n"
        + "import service_package\n"
        + SDK
        + "\nPIPELINE_MODEL_IDENTIFIER = 'x'\n"
        + "DEPENDENCY_LIST = ['pandas']\n"
        + "EP = Endpoint\n"
        + f'\n@EP(name="{NAME}_alias", dependencies=["pandas"])\n'
        + "def alias_declared(): ...\n"
        + f'\nannotated_api: Endpoint = Endpoint(name="{NAME}_note", dependencies=["x"])\n'
        + '\n@annotated_api.post("/x")\ndef annotated_route(): ...\n'
        + '\n@service_package.service_endpoint.get("/y")\ndef attribute_route(): ...\n'
        + f'\n@Endpoint(name="{NAME}", cpu="cpu3c-1-2",\n'
        + '    dependencies=["torch", "numpy>=", "pillow  # imaging", DEPENDENCY_LIST[0]])\n'
        + "async def generate_image_embeddings(url: str):\n"
        + "    import sklearn.linear_model\n"
        + "    import torchaudio\n"
        + "    return numpy, resize_image_helper(url), PIPELINE_MODEL_IDENTIFIER, sklearn\n"
        + f'\n@Endpoint(name="{NAME}_deps", dependencies=DEPENDENCY_LIST)\n'
        + "def variable_dependencies(): ...\n"
        + f'\n@Endpoint(name="{NAME}_thumbnails", cpu="cpu3c-1-2")\n'
        + "def make_image_thumbnails():\n"
        + "    from sklearn.preprocessing import normalize\n"
        + "    return normalize\n",
        "image_tools.py": "def resize_image_helper(url):\n    return url\n",
        "preprocessing_workers.py": SDK
        + f'\n@Endpoint(name="{NAME}_pre")\ndef preprocess_document_text(): ...\n',
        "service_package/__init__.py": "from .endpoints import service_endpoint\n",
        "service_package/endpoints.py": SDK
        + f'\nservice_endpoint = Endpoint(name="{NAME}_service")\n',
    },
}


def in_families(found: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in found if d.code.startswith(FAMILIES)]


def assert_short(diagnostic: Diagnostic) -> None:
    message = diagnostic.message
    where = f"{diagnostic.code}: {message!r}"
    assert len(message) < MAX_MESSAGE, where
    assert "\n" not in message and message == message.strip() and not message.endswith("."), where
    first = message.split()[0]
    assert not (first[0].isupper() and first[1:].islower()), f"{where}: starts with a capital"
    for note in diagnostic.notes:
        assert note and "\n" not in note and not note.endswith("."), f"{where}: note {note!r}"


@pytest.mark.parametrize("app", sorted(p.name for p in FIXTURE_APPS.iterdir() if p.is_dir()))
def test_fixture_app_messages_are_one_short_line(app: str) -> None:
    for diagnostic in in_families(check_app(load_app(FIXTURE_APPS / app))):
        assert_short(diagnostic)


def test_every_rule_of_these_families_is_triggered_with_short_messages(tmp_path: Path) -> None:
    seen: set[str] = set()
    for name, files in TRIGGERS.items():
        for diagnostic in in_families(check(tmp_path / name, files)):
            assert_short(diagnostic)
            seen.add(diagnostic.code)
    wanted = {r.code for r in all_rules() if r.code.startswith(FAMILIES)}
    assert wanted - seen == set()
