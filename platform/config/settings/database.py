from .env import env_int, env_str, parse_database_url

_url = env_str("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/haochaping")

DATABASES = {
    "default": {
        # django-tenants' backend sets search_path per tenant on every connection checkout.
        "ENGINE": "django_tenants.postgresql_backend",
        **parse_database_url(_url),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"NAME": env_str("TEST_DATABASE_NAME", "test_haochaping")},
    }
}

# Django's psycopg pool (one per process). Off when DB_POOL_MAX_SIZE=0 (tests, management commands).
_pool_max = env_int("DB_POOL_MAX_SIZE", 0)
if _pool_max > 0:
    DATABASES["default"]["OPTIONS"] = {
        "pool": {"min_size": env_int("DB_POOL_MIN_SIZE", 2), "max_size": _pool_max, "timeout": 10}
    }
