"""Load held for a long time or across a replica's restart, against services the
harnesses start themselves on loopback: `make soak` (soak.py) and `make rollover`
(rollover.py). Every request is recorded by request_log.py and judged afterwards."""
