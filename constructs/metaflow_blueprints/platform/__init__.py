"""The platform: Argo Events and Metaflow's event side, so ``cdktf deploy`` covers it all."""

from metaflow_blueprints.argo.eventbus import Persistence
from metaflow_blueprints.platform.argo_events import ArgoEventsPlatform
from metaflow_blueprints.platform.metaflow_setup import MetaflowEventsSetup

__all__ = ["ArgoEventsPlatform", "MetaflowEventsSetup", "Persistence"]
