"""X-Ray Transaction Search, once per account and region (the bootstrap stack): X-Ray
keeps spans in CloudWatch Logs (group aws/spans), which its OTLP endpoint requires before
it takes any (trace_collector.py). It costs nothing until spans arrive."""

import json

import pulumi
import pulumi_aws as aws

from . import iam
from .naming import component_type
from .stack_config import BootstrapConfig

# Where X-Ray writes: the spans, and Application Signals' data beside them.
SPAN_GROUPS = ("aws/spans", "/aws/application-signals/data")


def xray_writes_spans_policy(config: BootstrapConfig) -> str:
    """X-Ray, for this account's traces only, may write the span groups."""
    account, region = config.account_id, config.region
    return json.dumps(
        iam.document(
            {
                "Sid": "TransactionSearchXRayAccess",
                "Effect": "Allow",
                "Principal": {"Service": "xray.amazonaws.com"},
                "Action": "logs:PutLogEvents",
                "Resource": [
                    f"arn:aws:logs:{region}:{account}:log-group:{group}:*" for group in SPAN_GROUPS
                ],
                "Condition": {
                    "ArnLike": {"aws:SourceArn": f"arn:aws:xray:{region}:{account}:*"},
                    "StringEquals": {"aws:SourceAccount": account},
                },
            }
        )
    )


class TransactionSearch(pulumi.ComponentResource):
    def __init__(
        self, name: str, config: BootstrapConfig, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(component_type(config, "TransactionSearch"), name, None, opts)
        policy = aws.cloudwatch.LogResourcePolicy(
            f"{name}-spans",
            policy_name=f"{config.project}-xray-spans",
            policy_document=xray_writes_spans_policy(config),
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.xray.TraceSegmentDestination(
            f"{name}-destination",
            destination="CloudWatchLogs",
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.register_outputs({})
