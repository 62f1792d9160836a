"""Turns stored epochs into nights, days and rhythm metrics a clinician can read."""
