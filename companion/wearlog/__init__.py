"""Wearlog companion: sync, store, analyse and show wearable data."""
