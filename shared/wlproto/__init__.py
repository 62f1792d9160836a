"""Wearlog wire protocol: the one contract between wearable and companion."""
