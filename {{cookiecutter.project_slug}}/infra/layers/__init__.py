"""The three layers of the platform, one Pulumi program each (see cloud/stack_config.py)."""
