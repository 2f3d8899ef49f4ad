"""The model this service serves, in one folder: change these files to serve your own.

- `model.toml`: its name, the accuracy it must reach to be stored, its labels.
- `record.py`: one input row, `Record`: every feature's name, type, bounds and example.
- `dataset.py`: where the training data comes from, and which column feeds which feature.
- `pipeline.py`: the scikit-learn pipeline trained on it and exported to ONNX.

Nothing outside this folder names a feature or a class; docs/your-model.md walks through
a change.
"""
