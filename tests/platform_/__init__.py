"""Tests of ``metaflow_blueprints.platform``.

The trailing underscore: a ``tests/platform`` package would shadow the standard library's
``platform`` for scripts run from ``tests/`` (such as ``tests/metaflow_sensor.py``).
"""
