"""The clinician dashboard: FastAPI app, pages, JSON API, exports and the upload endpoint."""

from wearlog.web.app import create_app

__all__ = ["create_app"]
