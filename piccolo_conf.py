"""Piccolo configuration: the engine comes from DATABASE_URL.

`sqlite:///path/to/file.db` (the embedded default, a file under var/) or `postgresql://…`.
"""

from piccolo.conf.apps import AppRegistry

from db.engine import engine_from_url
from settings import settings

DB = engine_from_url(settings.database_url)

APP_REGISTRY = AppRegistry(apps=["db.piccolo_app"])
