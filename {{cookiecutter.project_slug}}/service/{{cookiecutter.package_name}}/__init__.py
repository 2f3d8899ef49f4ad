"""The model and its service: schemas, training, ONNX inference and the BentoML API."""
