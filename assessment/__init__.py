"""Local-government self-assessment (ISO 18091 style) and the public transparency page.

An agency keeps its own indicator catalogue in four areas, rates itself once a year (red / yellow /
green) with reasons and evidence from the portal, the named approver signs, and red indicators
become improvement actions; the latest approved assessment can be published on the public
transparency page.

A top-level app, not part of ``audits``: ISO 18091 is a standard of its own, the app has a public
page, and it depends on the audits records (nonconformities, actions, management review inputs)
rather than the reverse.
"""
