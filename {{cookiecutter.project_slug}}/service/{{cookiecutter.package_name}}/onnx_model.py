"""Run the exported model with ONNX Runtime: the only inference code the server has."""

from pathlib import Path

import numpy as np
import onnxruntime

from .features import model_inputs

# The graph's inputs are features.py's; the outputs are the names skl2onnx gives a
# classifier exported without ZipMap (probabilities as one tensor).
LABEL_OUTPUT = "label"
PROBABILITIES_OUTPUT = "probabilities"


class OnnxClassifier:
    """A classifier session: features in, class names and probabilities out."""

    def __init__(self, model_path: Path, class_names: tuple[str, ...], threads: int = 1) -> None:
        options = onnxruntime.SessionOptions()
        # One thread per session by default: the server runs many requests at once and
        # more threads than CPUs only adds contention.
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(
            str(model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.class_names = class_names

    def predict(self, features: np.ndarray) -> tuple[list[str], np.ndarray]:
        """Return the predicted class name per row of the features array (features.py) and
        the (rows, classes) probabilities."""
        label_indices, probabilities = self.run(features)
        return [self.class_names[index] for index in label_indices.tolist()], probabilities

    def run(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the predicted class index per row and the (rows, classes) probabilities."""
        label_indices, probabilities = self.session.run(
            [LABEL_OUTPUT, PROBABILITIES_OUTPUT], model_inputs(features)
        )
        return label_indices, probabilities
