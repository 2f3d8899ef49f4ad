"""Headers every response carries, so a browser gives a page from this origin nothing it
did not ask for.

Swagger UI (`/`) is BentoML's page, and it embeds Google Tag Manager: a script from a
third party, running beside the key a user pastes into "Authorize". The policy lets
scripts, styles and requests come from this origin only, so the page's inline tag
manager never runs and nothing is fetched from elsewhere; Swagger UI itself loads from
`/static_content/` and starts from a file there, so it still works. In the cluster the
load balancer does not forward `/` at all (infra/cloud/service_workload.ALB_ROUTES).
"""

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        # Swagger UI sets inline styles on its elements.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "frame-src 'none'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    )
)
SECURITY_HEADERS = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)
