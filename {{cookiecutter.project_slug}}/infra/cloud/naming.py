"""Type tokens, tags and annotations shared by every component."""

from .stack_config import LayerConfig

# Pulumi's Service and Ingress await logic waits (10 minutes) for endpoints, which need
# pods, which need a node Karpenter may still be starting, and the Rollout that makes the
# pods is created after them: nothing here is worth waiting for, Argo Rollouts reports it.
SKIP_AWAIT = {"pulumi.com/skipAwait": "true"}


def component_type(config: LayerConfig, class_name: str) -> str:
    """One consistent token per component: <project>:infra:<Class>."""
    return f"{config.project}:infra:{class_name}"


def tags(config: LayerConfig, **extra: str) -> dict[str, str]:
    return {
        "project": config.project,
        "environment": config.environment,
        "managed-by": "pulumi",
        **extra,
    }
