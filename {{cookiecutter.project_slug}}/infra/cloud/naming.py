"""Type tokens and tags shared by every component."""

from .stack_config import LayerConfig


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
