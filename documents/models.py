"""Controlled documents and their revisions (ISO 9001 clause 7.5).

The tables arrive with this app's issue; the app exists now so every app has its fixed place.
"""
