"""The jurisdiction tree as the dashboard walks it: who may see which node, names, children, paths.

A user's scope is a node (``ID``, ``18``, ``18.71``); they see that node and everything under it, never
anything else. Rahasia content is readable by the responsible agency's level and the levels above it:
a viewer whose scope contains the complaint's responsible jurisdiction.
"""

from __future__ import annotations

from functools import cache

from lapor_shared.events.values import NATIONAL_CODE
from lapor_shared.regions import all_regions, is_known, parent_of

WITHHELD = "[rahasia]"


def contains(scope: str, code: str | None) -> bool:
    """True when ``code`` is ``scope`` or lies under it (``18`` contains ``18.71``, not ``1.8`` or ``180``)."""
    if code is None:
        return False
    return scope == NATIONAL_CODE or code == scope or code.startswith(scope + ".")


def known(code: str) -> bool:
    return is_known(code)


def name_of(code: str, lang: str = "id") -> str:
    if code == NATIONAL_CODE:
        return "Nasional" if lang == "id" else "National"
    region = all_regions().get(code)
    return region.name if region else code


def level_of(code: str) -> str:
    if code == NATIONAL_CODE:
        return "nation"
    return "province" if "." not in code else "regency"


@cache
def children(code: str) -> tuple[str, ...]:
    """The jurisdictions one level down: the provinces of the nation, a province's regencies and cities."""
    if code == NATIONAL_CODE:
        return tuple(sorted(c for c, r in all_regions().items() if r.parent_code is None))
    return tuple(sorted(c for c, r in all_regions().items() if r.parent_code == code))


def path(code: str, scope: str) -> list[str]:
    """The nodes from ``scope`` down to ``code`` (both included); ``code`` must lie in ``scope``."""
    nodes = [code]
    while nodes[-1] != scope:
        parent = parent_of(nodes[-1])
        if parent is None:
            break
        nodes.append(parent)
    return list(reversed(nodes))


def content_visible(viewer_scope: str, responsible_code: str | None) -> bool:
    """Rahasia content: only the responsible jurisdiction and the levels above it may read it."""
    return contains(viewer_scope, responsible_code)


def shown_title(title: str | None, *, confidential: bool, responsible_code: str | None, viewer_scope: str) -> str:
    if confidential and not content_visible(viewer_scope, responsible_code):
        return WITHHELD
    return title or ""
