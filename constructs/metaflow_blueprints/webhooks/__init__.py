"""Webhook-side constructs: bearer tokens, secret paths and Ingresses."""
