"""The hygiene rules catch each kind of slip they are there for."""

from pathlib import Path

from tests.delivery.workflow_rules import problems

CHECKOUT = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
AWS = "aws-actions/configure-aws-credentials@cbe3b392738ccf3f987d68400dafcf4b0624a56c # v6.2.4"


def written(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "workflow.yml"
    path.write_text(text)
    return path


def test_a_clean_workflow_has_no_problems(tmp_path: Path) -> None:
    path = written(
        tmp_path,
        f"""
on: pull_request
permissions: {{}}
jobs:
  deliver:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    permissions:
      contents: read
      id-token: write
    steps:
      - uses: {CHECKOUT}
        with:
          persist-credentials: false
      - uses: {AWS}
      - run: echo "$SHA"
        env:
          SHA: ${{{{ github.sha }}}}
""",
    )
    assert problems(path) == []


def test_every_slip_is_named_with_its_job_and_step(tmp_path: Path) -> None:
    path = written(
        tmp_path,
        """
on: [pull_request_target]
permissions: write-all
jobs:
  build:
    runs-on: ubuntu-24.04
    steps:
      - uses: actions/checkout@v7
      - name: greet
        run: echo "${{ github.event.pull_request.title }}"
  token:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    permissions:
      id-token: write
    steps:
      - uses: actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1
        with:
          persist-credentials: false
""",
    )
    found = problems(path)

    assert "top level: `permissions: {}` is missing; grant per job instead" in found
    assert "trigger pull_request_target is not allowed" in found
    assert "job build: no explicit `permissions`" in found
    assert "job build: no `timeout-minutes`" in found
    assert "job build, step actions/checkout@v7: action not pinned to a full commit SHA" in found
    assert (
        "job build, step actions/checkout@v7: checkout without `persist-credentials: false`"
        in found
    )
    assert "job build, step greet: expression inside `run:`; pass it through `env:`" in found
    assert "job token: `id-token: write` must be granted exactly when AWS is assumed" in found
    assert "line 17: pinned action without a `# vX.Y.Z` comment" in found
    assert len(found) == 9


def test_a_job_calling_a_workflow_that_assumes_aws_may_request_the_token(tmp_path: Path) -> None:
    (tmp_path / "called.yml").write_text(
        f"""
on: workflow_call
permissions: {{}}
jobs:
  inner:
    runs-on: ubuntu-24.04
    timeout-minutes: 5
    permissions:
      id-token: write
    steps:
      - uses: {AWS}
"""
    )
    path = written(
        tmp_path,
        """
on: push
permissions: {}
jobs:
  outer:
    uses: $/.github/workflows/called.yml
    permissions:
      id-token: write
""",
    )
    assert problems(path) == []
