"""Request bodies that look like real clients: feature values drawn around the examples
of the service's own request schema (read from its OpenAPI document), within its bounds,
and a share of requests that are wrong on purpose."""

import json
import math
import random
from dataclasses import dataclass
from typing import Any

# How far values stray from the schema's example, as a fraction of it.
SPREAD = 0.25
MAX_BATCH = 50


@dataclass(frozen=True)
class Feature:
    name: str
    example: float | int | str
    lower: float = -math.inf  # exclusive
    upper: float = math.inf  # inclusive
    integer: bool = False
    categories: tuple[str, ...] = ()  # a category: the values it may take

    @classmethod
    def of(cls, name: str, field: dict[str, Any]) -> "Feature":
        if "enum" in field:
            return cls(name, field["examples"][0], categories=tuple(field["enum"]))
        return cls(
            name=name,
            example=float(field["examples"][0]),
            lower=float(field.get("exclusiveMinimum", field.get("minimum", -math.inf))),
            upper=float(field.get("maximum", math.inf)),
            integer=field.get("type") == "integer",
        )

    def draw(self, rng: random.Random) -> float | int | str:
        """One of the categories; or a number with two decimals, like a measurement (whole,
        for an integer), always inside the bounds."""
        if self.categories:
            return rng.choice(self.categories)
        value = round(rng.gauss(self.example, abs(self.example) * SPREAD), 2)
        smallest = round(self.lower + 0.01, 2) if math.isfinite(self.lower) else value
        value = min(max(value, smallest), self.upper)
        return math.ceil(value) if self.integer else value

    def out_of_range(self) -> float | str:
        return "none of these" if self.categories else self.upper * 10

    def wrong_type(self, value: object) -> object:
        """A string where a number belongs, a number where a category's text belongs."""
        return 1 if self.categories else str(value)


@dataclass(frozen=True)
class RequestSchema:
    features: tuple[Feature, ...]
    max_batch_size: int
    # Real records to send instead of drawn ones (e.g. the training data, so the logged
    # traffic looks like it to the drift job); empty: draw around the examples.
    samples: tuple[dict[str, Any], ...] = ()

    @classmethod
    def from_openapi(cls, document: dict[str, Any]) -> "RequestSchema":
        body = document["paths"]["/predict"]["post"]["requestBody"]["content"]["application/json"][
            "schema"
        ]
        record = document["components"]["schemas"]["Record"]
        features = tuple(Feature.of(name, field) for name, field in record["properties"].items())
        return cls(features, int(body["properties"]["records"]["maxItems"]))

    def with_samples(self, lines: list[str]) -> "RequestSchema":
        """The same schema, sending these records (JSON objects, one per line)."""
        samples = tuple(json.loads(line) for line in lines if line.strip())
        names = {feature.name for feature in self.features}
        for sample in samples:
            if set(sample) != names:
                raise ValueError(f"sample record {sample} must have exactly the fields {names}")
        return RequestSchema(self.features, self.max_batch_size, samples)

    def record(self, rng: random.Random) -> dict[str, float | int | str]:
        if self.samples:
            return dict(rng.choice(self.samples))
        return {feature.name: feature.draw(rng) for feature in self.features}

    def batch(self, rng: random.Random) -> dict[str, list]:
        size = rng.randint(2, min(MAX_BATCH, self.max_batch_size))
        return {"records": [self.record(rng) for _ in range(size)]}

    def invalid_request(self, rng: random.Random) -> tuple[str, bytes, str]:
        """(what is wrong, body, content type) for a request the service must refuse."""
        record = self.record(rng)
        feature = rng.choice(self.features)
        choices = [
            (
                "missing feature",
                {"records": [{k: v for k, v in record.items() if k != feature.name}]},
            ),
            ("out of range", {"records": [{**record, feature.name: feature.out_of_range()}]}),
            (
                "wrong type",
                {"records": [{**record, feature.name: feature.wrong_type(record[feature.name])}]},
            ),
            ("unknown field", {"records": [{**record, "unexpected": 1.0}]}),
            ("empty batch", {"records": []}),
            ("oversized batch", {"records": [record] * (self.max_batch_size + 1)}),
        ]
        reason, body = rng.choice(choices)
        if rng.random() < 0.1:
            return "not JSON", b"records=1", "application/x-www-form-urlencoded"
        return reason, json.dumps(body).encode(), "application/json"
