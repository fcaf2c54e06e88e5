"""The operator's and the agencies' documents point at places that exist: every relative link of docs/ and
the deployment READMEs names a file of the repository, and every ``#anchor`` a heading of that file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.deploy.conftest import ROOT

pytestmark = pytest.mark.unit

DOCUMENTS = sorted([*(ROOT / "docs").glob("*.md"), ROOT / "README.md", ROOT / "deploy" / "README.md"])
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as dashes."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return {slug(m.group(1)) for m in re.finditer(r"^#{1,6} (.+)$", text, re.M)}


def links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    return [target for target in LINK.findall(text) if "://" not in target and not target.startswith("mailto:")]


def test_the_slug_of_a_heading_is_githubs():
    assert slug("Connecting to the platform's Kafka") == "connecting-to-the-platforms-kafka"
    assert slug("1. Reading your complaints and answering them") == "1-reading-your-complaints-and-answering-them"
    assert slug("Onboarding an agency, a monitoring level or a channel adapter") == (
        "onboarding-an-agency-a-monitoring-level-or-a-channel-adapter")


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_names_an_existing_file_and_heading(document):
    broken = []
    for target in links(document):
        file_part, _, anchor = target.partition("#")
        path = (document.parent / file_part).resolve() if file_part else document
        if not path.exists() or (anchor and path.suffix == ".md" and anchor not in anchors(path)):
            broken.append(target)
    assert broken == []
