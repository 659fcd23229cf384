"""Nonconformities, corrective actions and the shared actions (ISO 9001 10.2, 6.1.2)."""
