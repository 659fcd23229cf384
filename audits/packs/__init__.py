"""Certification evidence packs (ISO 9001 7.5, 9.2, 9.3 as evidence for external certifiers).

A quality manager defines a pack (scope, period, clauses, sections); a Celery task builds one PDF
and a ZIP with the effective revisions' files and a manifest; the pack is shared with certifier
accounts until an expiry date. ``models`` holds the tables, ``workflow`` every change, ``build``
the builder and the body of the build task, ``tasks`` the Celery tasks, ``verify`` the offline check.
"""
