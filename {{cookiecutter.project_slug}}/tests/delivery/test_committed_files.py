"""What CI reads must be in the repository: `.gitignore` hides none of it."""

import shutil
import subprocess
from pathlib import Path

from tests.delivery.workflows import PROJECT

# CI reads every stack file (settings and each stack's secrets provider), the lock file
# every job installs from, and the answers the workflows load.
COMMITTED = [
    *(path.relative_to(PROJECT) for path in sorted((PROJECT / "infra").glob("Pulumi.*yaml"))),
    Path("uv.lock"),
    Path(".github/delivery.env"),
    Path("infra/bootstrap.sh"),
]


def test_gitignore_hides_nothing_ci_reads(tmp_path: Path) -> None:
    shutil.copy(PROJECT / ".gitignore", tmp_path / ".gitignore")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", "--verbose", *map(str, COMMITTED)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    # check-ignore exits 1 when no path is ignored, and prints the rule for each one that is.
    assert result.returncode == 1, result.stdout
    assert len(COMMITTED) >= 8
