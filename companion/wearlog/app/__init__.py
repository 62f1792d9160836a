"""The wearer's own app: `wearlog app` serves it on 127.0.0.1 for this laptop only."""

from wearlog.app.main import WearerSettings, create_wearer_app

__all__ = ["WearerSettings", "create_wearer_app"]
