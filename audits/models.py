"""Internal audits, nonconformities, corrective actions, management review, evidence packs (ISO 9001 clauses 9.2, 9.3, 10.2).

The tables arrive with this app's issue; the app exists now so every app has its fixed place.
"""
