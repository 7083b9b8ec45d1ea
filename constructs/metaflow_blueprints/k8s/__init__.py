"""Kubernetes-side constructs: Argo objects as ``kubernetes_manifest`` resources, Secrets."""
