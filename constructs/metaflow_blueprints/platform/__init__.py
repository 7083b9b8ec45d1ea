"""The platform: Argo Events itself and Metaflow's event side, for ``cdktf deploy`` of everything."""

from metaflow_blueprints.argo.eventbus import Persistence
from metaflow_blueprints.platform.argo_events import ArgoEventsPlatform
from metaflow_blueprints.platform.metaflow_setup import MetaflowEventsSetup

__all__ = ["ArgoEventsPlatform", "MetaflowEventsSetup", "Persistence"]
