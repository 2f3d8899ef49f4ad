"""The baseline: the endpoint most teams write first, as FastAPI tutorials show it.

One uvicorn worker, the scikit-learn pipeline loaded with joblib, `model.predict` called
inside `async def` (so inference blocks the event loop), pydantic validation of the same
request body. It returns labels only, so it does less work than the service per request.
"""

import json
import os
from pathlib import Path

import joblib
from fastapi import FastAPI
from pydantic import BaseModel

from {{ cookiecutter.package_name }}.features import model_columns, to_array
from {{ cookiecutter.package_name }}.model.record import Record

model = joblib.load(os.environ["BENCH_SKLEARN_MODEL"])
class_names = json.loads(Path(os.environ["BENCH_CLASS_NAMES"]).read_text())
app = FastAPI()


class PredictRequest(BaseModel):
    records: list[Record]


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    return {"status": "ready"}


@app.post("/predict")
async def predict(request: PredictRequest) -> dict[str, list[str]]:
    rows = model_columns(to_array(request.records))
    return {"labels": [class_names[label] for label in model.predict(rows)]}
