"""Process definitions, KPIs, risks and opportunities (ISO 9001 clauses 4.4, 6.1, 9.1).

The tables arrive with this app's issue; the app exists now so every app has its fixed place.
"""
