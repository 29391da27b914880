from .env import env_int, env_str

REDIS_URL = env_str("REDIS_URL", "")
# How often each process re-joins its board groups (realtime/hub.py): after Redis restarts empty, boards hear again
# within this many seconds. The fault tests set 1.
BOARD_HUB_REFRESH_SECONDS = env_int("BOARD_HUB_REFRESH_SECONDS", 60)

# One process: in-memory layer. Several processes: channels-redis carries events between them.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # No read timeout: redis-py wraps each read in asyncio.timeout(socket_timeout), and a cancelled BZPOPMIN
            # (every socket that closes cancels its receive) can come out of that as a TimeoutError, which redis-py
            # retries, so the task ignores its cancellation and never ends (reproduced with redis 6.4 and 8.1 on
            # Python 3.11; docs/boards.md). The 5 s default also kills idle receive loops (redis-py #4091).
            # BZPOPMIN itself returns every 5 s; TCP keepalive and a PING after 30 s idle find dead connections,
            # and connecting stays bounded.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": None, "socket_connect_timeout": 5,
                                  "socket_keepalive": True, "health_check_interval": 30}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The cache carries rate-limit counters; shared between processes when Redis is there.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
