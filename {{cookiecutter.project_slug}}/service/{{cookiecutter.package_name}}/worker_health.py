"""Whether every worker the server started is still running.

Inside a container BentoML does not respawn a worker that dies, and the workers share
one listening socket: the survivors would keep answering /livez, and the pod would run
at reduced capacity with no one the wiser. So /livez asks this, and a dead sibling makes
the kubelet restart the container."""

import os

import psutil


def all_workers_running(expected_workers: int) -> bool:
    """True while this worker's server process (its parent) has all its workers."""
    try:
        return len(psutil.Process(os.getppid()).children()) >= expected_workers
    except psutil.Error:
        return False
