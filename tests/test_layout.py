"""`platform/` is a source root, never a package: a package there would shadow the stdlib module."""
import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_platform_folder_is_not_a_package():
    assert (ROOT / "platform").is_dir()
    assert not (ROOT / "platform" / "__init__.py").exists()


def test_stdlib_platform_module_is_not_shadowed():
    module = importlib.import_module("platform")
    assert hasattr(module, "system") and module.system()
    assert Path(module.__file__).parent != ROOT / "platform"
    import uuid  # uuid imports platform at import time; this broke with a package named platform

    assert uuid.uuid4()


def test_top_level_layout_exists():
    for name in ("platform", "tenants", "schema", "realtime", "web", "infra", "tests", "manage.py"):
        assert (ROOT / name).exists(), name
    assert str(ROOT / "platform") in sys.path
