"""ASGI middleware wrapped around the BentoML app, outermost first in `service.py`."""
