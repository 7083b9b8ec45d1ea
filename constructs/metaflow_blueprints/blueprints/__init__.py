"""Blueprints: one construct per external source, composing argo, metaflow, k8s and cloud."""
