"""Replay: run a recorded source message through synthesized Sensors, locally.

``replay(stack, event=...)`` wraps the message exactly as the Argo Events EventSource
publishes it, evaluates every Sensor that depends on it (transforms, filters, conditions,
parameters) and returns the triggers that would fire, including the Metaflow event a
bridge trigger posts. See ``docs/replay.md`` for what is exact and what is a subset.
"""

from __future__ import annotations

from .engine import ReplayResult, replay, replay_published
from .errors import ReplayError, UnsupportedConstruct

__all__ = ["ReplayError", "ReplayResult", "UnsupportedConstruct", "replay", "replay_published"]
