from django.db import connection


def site(request):
    tenant = getattr(connection, "tenant", None)
    is_public = connection.schema_name == "public"
    return {"site_tenant": tenant, "site_is_public": is_public}
