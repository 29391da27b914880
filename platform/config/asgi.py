"""ASGI entry point served by daphne: HTTP through Django (django-tenants' middleware picks the schema),
websockets through realtime's routing (which resolves the tenant itself)."""
import gc
import os
import sys
from pathlib import Path

_root = Path(__file__).resolve().parents[2]
for _path in (str(_root), str(_root / "platform")):
    if _path not in sys.path:
        sys.path.append(_path)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_http = get_asgi_application()

from realtime.routing import build_application  # noqa: E402

application = build_application(django_http)

# Everything loaded so far lives as long as the process: keep it out of the collector's scans, so collections
# triggered by a request's allocations stay short (the portal's p95 was several times its p50 without this).
gc.collect()
gc.freeze()
