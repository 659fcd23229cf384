"""The signed-in person's work, gathered from every app for the home page.

Each app registers a provider: a function taking the person and returning ``WorkItem`` objects
(documents to review, findings to answer, requests due…). Providers must run a fixed number of
queries, whatever the number of items.
"""

from dataclasses import dataclass
from datetime import date

_providers = []


@dataclass(frozen=True)
class WorkItem:
    title: str
    url: str
    kind: str
    due: date | None = None
    overdue: bool = False


def register(provider):
    """Decorator: add ``provider(person) -> iterable[WorkItem]`` to the home page."""
    _providers.append(provider)
    return provider


def work_for(person):
    items = [item for provider in _providers for item in provider(person)]
    return sorted(items, key=lambda item: (item.due is None, item.due or date.max, item.title))
