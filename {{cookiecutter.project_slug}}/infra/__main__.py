"""The platform: read and validate the stack's config, then build its layer (bootstrap,
aws or cluster; see cloud/stack_config.py). Nothing else happens here."""

from layers import aws, bootstrap, cluster

from cloud import stack_config

config = stack_config.load()
{"bootstrap": bootstrap.build, "aws": aws.build, "cluster": cluster.build}[config.layer](config)
