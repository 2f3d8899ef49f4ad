"""Watching the model in production: prediction logging, model metrics, drift detection."""
