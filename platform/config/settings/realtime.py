from .env import env_str

REDIS_URL = env_str("REDIS_URL", "")

# One process: in-memory layer. Several processes: channels-redis carries events between them.
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # redis-py 8 reads with a 5 s socket timeout by default, the same 5 s channels-redis blocks in BZPOPMIN
            # waiting for messages: an idle process then gets a TimeoutError in its receive loop, which kills the
            # consumer that happened to be receiving (board sockets closed with 1011 every ~5 s; redis-py #4091).
            # A read timeout well above the BZPOPMIN timeout keeps dead-connection detection without the race.
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 30}]},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# The cache carries rate-limit counters; shared between processes when Redis is there.
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
