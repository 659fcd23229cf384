"""Citizen service requests: catalogue, tracking, staff workflow, Open311 GeoReport v2.

The tables arrive with this app's issue; the app exists now so every app has its fixed place.
"""
