"""Load held for a long time or across a replica's restart, against services the
harnesses start themselves on loopback: `make soak` (soak_run.py) and `make rollover`
(rollover_run.py). Every request is recorded by request_recorder.py and judged afterwards."""
