"""Public ids: relay global ids whose node id carries the tenant schema (`Type:schema:pk`, base64)."""
import base64

from django.db import connection


def global_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{connection.schema_name}:{pk}".encode()).decode()
