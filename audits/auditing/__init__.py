"""Internal audits: programme, audits, checklists, signed reports (ISO 9001 9.2)."""
