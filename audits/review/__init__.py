"""Management review: inputs gathered from the period, minutes, decisions (ISO 9001 9.3)."""
