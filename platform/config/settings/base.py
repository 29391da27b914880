from pathlib import Path

from .env import env_bool, env_list, env_str

ROOT_DIR = Path(__file__).resolve().parents[3]
SOURCE_DIR = ROOT_DIR / "platform"

# development | test | production
ENVIRONMENT = env_str("DJANGO_ENV", "development")
DEBUG = env_bool("DJANGO_DEBUG", ENVIRONMENT == "development")

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if ENVIRONMENT == "production":
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set in production")
    SECRET_KEY = "dev-only-insecure-key-change-me-" + "x" * 32

# The address every absolute link (QR codes, invitations) is built from: host[:port] of the public site.
BASE_DOMAIN = env_str("BASE_DOMAIN", "localhost:8000")
BASE_SCHEME = env_str("BASE_SCHEME", "http")
BASE_HOST = BASE_DOMAIN.split(":")[0]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [BASE_HOST, f".{BASE_HOST}", "127.0.0.1", "testserver"])

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

MIDDLEWARE = [
    "tenants.middleware.TenantHostMiddleware",  # django-tenants, skipping inactive tenants
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "web.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [ROOT_DIR / "web" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context.site",
            ],
        },
    },
]

WSGI_APPLICATION = None
ASGI_APPLICATION = "config.asgi.application"

# The interface speaks Simplified Chinese by default; English is available.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [ROOT_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(ROOT_DIR / "staticfiles")))
STATICFILES_DIRS = [ROOT_DIR / "web" / "static"]
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(ROOT_DIR / ".run" / "media")))
MEDIA_URL = "/media/"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # No personal data in logs: every handler redacts phone numbers, ID numbers and e-mail addresses.
    "filters": {"redact_personal_data": {"()": "haochaping.core.logfilters.RedactPersonalData"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain",
                             "filters": ["redact_personal_data"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Notifications: email over SMTP for real; with no EMAIL_HOST, development writes mail to files instead.
from .env import env_int as _env_int  # noqa: E402

EMAIL_HOST = env_str("EMAIL_HOST", "")
EMAIL_PORT = _env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "haochaping@localhost")
if EMAIL_HOST or ENVIRONMENT == "production":
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(ROOT_DIR / ".run" / "mail")
SMS_PROVIDER = env_str("SMS_PROVIDER", "haochaping.notifications.sms.RecordingSmsProvider")

# Rectification clocks in Chinese working days (DESIGN.md §4).
RECTIFICATION_FOLLOW_UP_WORKING_DAYS = _env_int("RECTIFICATION_FOLLOW_UP_WORKING_DAYS", 1)
RECTIFICATION_WORKING_DAYS = _env_int("RECTIFICATION_WORKING_DAYS", 15)
RECTIFICATION_DUE_SOON_WORKING_DAYS = _env_int("RECTIFICATION_DUE_SOON_WORKING_DAYS", 2)
