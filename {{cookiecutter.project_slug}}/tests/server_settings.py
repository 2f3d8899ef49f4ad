"""The service the tests serve, and the settings the shared test server runs with: small
limits, so they are cheap to hit."""

import secrets

SERVICE = "{{ cookiecutter.package_name }}.service:Classifier"
FAULTY_SERVICE = "tests.faulty_service:Classifier"

API_KEY = secrets.token_urlsafe(32)
PREVIOUS_API_KEY = secrets.token_urlsafe(32)
MAX_BATCH_SIZE = 50
MAX_BODY_BYTES = 16_384
