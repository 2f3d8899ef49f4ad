"""The settings that make the service fast (see README, "Speed")."""

from opentelemetry.util.http import ExcludeList

from {{ cookiecutter.package_name }}.service import Classifier


def test_requests_are_not_traced_while_no_exporter_is_configured() -> None:
    tracing = Classifier.config["tracing"]
    assert "exporter_type" not in tracing
    excluded = ExcludeList(tracing["excluded_urls"])
    for path in ("/predict", "/readyz", "/metrics", "/"):
        assert excluded.url_disabled(f"http://127.0.0.1:3000{path}")
