"""Which image an environment serves, recorded where both delivery and Pulumi read it: an
SSM parameter `/<project>/<environment>/released-image`.

The AWS layer creates it holding `none` and never writes it again. Delivery writes the
image it released (after a canary is promoted, before a first release); the cluster
layer reads it to create the service's objects with that image, so the first push needs
no `serviceImage` to be set by hand, and a later `pulumi up` recreates what is live
instead of an image somebody once typed. Only delivery changes a running Rollout's image
(service_workload.DELIVERY_OWNED_FIELDS)."""

import re

import pulumi
import pulumi_aws as aws

from .naming import component_type, tags
from .stack_config import AwsLayerConfig, EnvironmentConfig

NO_RELEASE = "none"
# Always by digest: a tag could name another image tomorrow.
RELEASED_IMAGE = re.compile(r"^[a-z0-9.-]+(:\d+)?/[a-z0-9._/-]+@sha256:[0-9a-f]{64}$")


def parameter_name(project: str, environment: str) -> str:
    return f"/{project}/{environment}/released-image"


def parameter_arn(region: str, account_id: str, project: str, environment: str) -> str:
    return f"arn:aws:ssm:{region}:{account_id}:parameter{parameter_name(project, environment)}"


class ReleaseRecord(pulumi.ComponentResource):
    """The AWS layer's part: the parameter itself."""

    name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(
        self, name: str, config: AwsLayerConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(component_type(config, "ReleaseRecord"), name, None, opts)
        parameter = aws.ssm.Parameter(
            name,
            name=parameter_name(config.project, config.environment),
            description="The image delivery released last; the service is created with it",
            type="String",
            # An image reference is not a secret; insecure_value keeps it readable in plans.
            insecure_value=NO_RELEASE,
            tags=tags(config),
            # Delivery owns the value from the first release on.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["insecureValue"]),
        )
        self.name = parameter.name
        self.arn = parameter.arn
        self.register_outputs({"name": self.name})


def released_image(config: EnvironmentConfig) -> str | None:
    """The cluster layer's part: the recorded image, or None before the first release.
    Read while the program runs (previews included), so whether the service exists is
    known before anything is declared."""
    name = parameter_name(config.project, config.environment)
    value = aws.ssm.get_parameter(name=name).value
    if value == NO_RELEASE:
        return None
    if not RELEASED_IMAGE.match(value):
        raise ValueError(
            f"{name} holds {value!r}, not an image reference "
            "(<registry>/<repository>@sha256:<digest>); delivery writes it "
            '(docs/delivery.md, "The first release")'
        )
    return value
