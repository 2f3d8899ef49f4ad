"""A stand-in for the AWS CLI that keeps one Secrets Manager secret in a file and records
every command line, for the tools that change a stack's secrets from a developer's
machine (infra/secrets_manager.py)."""

import json
import os
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

FAKE_AWS = """#!{python}
import json, os, sys
arguments = sys.argv[1:]
with open(os.environ["FAKE_AWS_LOG"], "a") as log:
    log.write(json.dumps(arguments) + "\\n")
secret = os.environ["FAKE_SECRET_FILE"]
if arguments[1] == "get-secret-value":
    print(open(secret).read())
elif arguments[1] == "put-secret-value":
    assert arguments[arguments.index("--secret-string") + 1] == "file:///dev/stdin"
    open(secret, "w").write(sys.stdin.read())
"""


@dataclass(frozen=True)
class FakeAws:
    bin: Path
    secret: Path
    log: Path

    @classmethod
    def holding(cls, directory: Path, document: dict[str, str]) -> "FakeAws":
        bin_dir = directory / "bin"
        bin_dir.mkdir()
        fake = bin_dir / "aws"
        fake.write_text(FAKE_AWS.format(python=sys.executable))
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
        secret = directory / "secret.json"
        secret.write_text(json.dumps(document))
        return cls(bin_dir, secret, directory / "aws.log")

    def run(
        self, tool: Path, arguments: list[str], standard_input: str = ""
    ) -> subprocess.CompletedProcess[str]:
        environment = {
            **os.environ,
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "FAKE_SECRET_FILE": str(self.secret),
            "FAKE_AWS_LOG": str(self.log),
        }
        return subprocess.run(
            [sys.executable, str(tool), *arguments],
            input=standard_input,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )

    def stored(self) -> dict[str, str]:
        return json.loads(self.secret.read_text())

    def command_lines(self) -> str:
        return self.log.read_text() if self.log.exists() else ""
