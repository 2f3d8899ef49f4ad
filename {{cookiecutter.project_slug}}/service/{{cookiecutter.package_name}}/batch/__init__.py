"""Batch scoring: files of records scored with the served model (`make batch`), and the
cluster's Indexed Job that scores an S3 prefix shard by shard (shards.py)."""
