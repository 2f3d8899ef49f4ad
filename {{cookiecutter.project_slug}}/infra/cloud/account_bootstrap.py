"""The AWS layer's view of the account bootstrap: its stack outputs (GitHub's OIDC
provider, the repository, CI's roles, the GitHub connection), read by name so a missing
one fails the run naming it."""

import pulumi

from .stack_config import AwsLayerConfig

BOOTSTRAP_STACK = "bootstrap"


class AccountBootstrap:
    def __init__(self, config: AwsLayerConfig) -> None:
        self._stack = pulumi.StackReference(
            "account-bootstrap", stack_name=f"organization/{config.project}/{BOOTSTRAP_STACK}"
        )
        self.environment = config.environment

    def output(self, output_name: str) -> pulumi.Output:
        return self._stack.require_output(output_name)

    def for_environment(self, output_name: str) -> pulumi.Output[str]:
        """Outputs kept per environment, e.g. clusterRoleArns.dev."""
        return self.output(output_name).apply(lambda values: values[self.environment])
