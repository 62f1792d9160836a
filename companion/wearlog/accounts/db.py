"""One write transaction on a connection (kept for callers; defined in the store)."""

from wearlog.store.accounts import transaction

__all__ = ["transaction"]
