"""Settings, split by concern. Every value that differs between deployments comes from the environment
(documented in README.md, "Configuration")."""
from .base import *  # noqa: F401,F403
from .database import *  # noqa: F401,F403
from .tenancy import *  # noqa: F401,F403
from .api import *  # noqa: F401,F403
from .realtime import *  # noqa: F401,F403
from .security import *  # noqa: F401,F403
