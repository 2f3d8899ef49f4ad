"""`make bench`: the service against a FastAPI baseline and a bare ONNX Runtime ceiling."""
