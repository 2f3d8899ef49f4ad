"""The generated project's documentation: a README a newcomer reads in minutes, and docs/
by area, with no link and no `docs/...` path in the code that leads nowhere."""

import re
from pathlib import Path

from tests.conftest import bake

README_LIMIT_BYTES = 8 * 1024
# [text](target): a Markdown link; targets with a scheme are outside the project.
LINK = re.compile(r"\]\(([^)\s]+)\)")
DOCS_PATH = re.compile(r"\bdocs/[a-z0-9-]+\.md\b")
# The longest answers lengthen every path and name the README prints.
LONGEST_NAME = "Quarterly Revenue Forecasting Model Prod"


def documents(project: Path) -> list[Path]:
    return [project / "README.md", *sorted((project / "docs").glob("*.md"))]


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_the_readme_stays_short_whatever_the_answers(cookies) -> None:
    readme = bake(cookies, project_name=LONGEST_NAME) / "README.md"
    assert len(readme.read_bytes()) <= README_LIMIT_BYTES


def test_every_link_in_the_docs_reaches_a_file_and_heading_that_exist(
    default_project: Path,
) -> None:
    broken = []
    for document in documents(default_project):
        for target in LINK.findall(document.read_text()):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, fragment = target.partition("#")
            linked = (document.parent / path).resolve() if path else document
            if not linked.exists():
                broken.append(f"{document.name}: {target}")
            elif fragment:
                headings = re.findall(r"(?m)^#+ (.+)$", linked.read_text())
                if fragment not in {anchor(heading) for heading in headings}:
                    broken.append(f"{document.name}: {target} (no such heading)")
    assert not broken


def test_every_docs_path_the_project_names_exists(default_project: Path) -> None:
    named = {
        (path.relative_to(default_project), match)
        for path in default_project.rglob("*")
        if path.is_file() and ".git" not in path.parts
        for match in DOCS_PATH.findall(path.read_text(errors="ignore"))
    }
    assert named, "nothing names a docs/ file: the pattern is wrong"
    missing = sorted(
        f"{source}: {target}" for source, target in named if not (default_project / target).exists()
    )
    assert not missing


def test_every_docs_file_is_reachable_from_the_readme(default_project: Path) -> None:
    readme = (default_project / "README.md").read_text()
    linked = {target.partition("#")[0] for target in LINK.findall(readme)}
    for document in sorted((default_project / "docs").glob("*.md")):
        reached = f"docs/{document.name}" in linked or any(
            document.name in LINK.findall(other.read_text())
            for other in (default_project / "docs").glob("*.md")
            if f"docs/{other.name}" in linked
        )
        assert reached, f"{document.name} is linked from neither the README nor a linked doc"
