"""Read and write a stack's JSON secret in AWS Secrets Manager, for the tools that change
them from a developer's machine (`make api-keys`, `make secrets`).

Calls the AWS CLI with the caller's credentials. A secret's document only ever travels on
standard input and output: never in a command line, which any process on the machine
can read.
"""

import json
import subprocess


def aws(arguments: list[str], standard_input: str | None = None) -> str:
    # The user's AWS CLI, found on PATH as they would run it, with our own arguments.
    result = subprocess.run(  # noqa: S603
        ["aws", *arguments],  # noqa: S607
        input=standard_input,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"aws {' '.join(arguments[:2])} failed: {result.stderr.strip()}")
    return result.stdout


def read_document(secret: str, region: str) -> dict[str, str]:
    document = aws(
        [
            *("secretsmanager", "get-secret-value", "--secret-id", secret, "--region", region),
            *("--query", "SecretString", "--output", "text"),
        ]
    )
    return json.loads(document)


def write_document(secret: str, region: str, document: dict[str, str]) -> None:
    aws(
        [
            *("secretsmanager", "put-secret-value", "--secret-id", secret, "--region", region),
            *("--secret-string", "file:///dev/stdin"),
        ],
        standard_input=json.dumps(document),
    )
