"""The ceiling: the smallest ASGI app around an ONNX Runtime session.

No framework, no validation, no authentication, no metrics, no logging: what serving
this model costs when nothing else runs. The service cannot beat it; the benchmark
reports how close it comes.
"""

import json
import os
from pathlib import Path

import onnxruntime

from {{ cookiecutter.package_name }}.features import FEATURE_NAMES, model_inputs, to_matrix
from {{ cookiecutter.package_name }}.middleware.direct_api import read_body

options = onnxruntime.SessionOptions()
options.intra_op_num_threads = 1
options.inter_op_num_threads = 1
session = onnxruntime.InferenceSession(os.environ["BENCH_ONNX_MODEL"], sess_options=options)
class_names = json.loads(Path(os.environ["BENCH_CLASS_NAMES"]).read_text())
JSON_HEADERS = [(b"content-type", b"application/json")]


async def app(scope, receive, send) -> None:
    if scope["type"] != "http":
        return
    body = await read_body(receive)
    if body is None:
        return  # the client left
    answer: object = {"status": "ready"}
    if scope["path"] == "/predict":
        records = json.loads(body)["records"]
        features = to_matrix({name: [record[name] for record in records] for name in FEATURE_NAMES})
        labels, probabilities = session.run(None, model_inputs(features))
        answer = {
            "predictions": [
                {
                    "label": class_names[label],
                    "probabilities": dict(zip(class_names, row, strict=True)),
                }
                for label, row in zip(labels.tolist(), probabilities.tolist(), strict=True)
            ]
        }
    await send({"type": "http.response.start", "status": 200, "headers": JSON_HEADERS})
    await send({"type": "http.response.body", "body": json.dumps(answer).encode()})
