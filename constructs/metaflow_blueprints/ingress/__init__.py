"""What stands in front of a webhook EventSource: the Kubernetes Ingress (TLS, allowlists),
the unguessable secret path, the bearer token and the signature verifier."""
