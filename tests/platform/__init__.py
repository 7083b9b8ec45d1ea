"""Tests of ``metaflow_blueprints.platform``."""
