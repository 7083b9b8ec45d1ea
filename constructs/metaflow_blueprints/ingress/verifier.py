"""A signature-checking hop in front of a webhook EventSource (dbt Cloud, Fivetran).

The server is :mod:`metaflow_blueprints.ingress.verifier_app` (stdlib only): its source is
read from the installed package at synth time and shipped in a ConfigMap, and a stock
Python image runs it, so there is no image of ours to build or trust.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from importlib import resources
from typing import Any

from metaflow_blueprints import rules
from metaflow_blueprints.argo import SecretKeyRef
from metaflow_blueprints.errors import BlueprintError
from metaflow_blueprints.ingress.verifier_app import HEALTH_PATH, SIGNATURE_HEADERS
from metaflow_blueprints.runtime import Construct, LibraryConstruct, is_unresolved, provider_module

#: python:3.12-slim (Debian), pinned to a multi-arch index digest; override with ``image=``.
DEFAULT_IMAGE = (
    "python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea"
)
#: Container and Service port of the verifier.
VERIFIER_PORT = 8080
#: nobody:nogroup in Debian images.
RUN_AS_USER = 65534
APP_FILE = "verifier_app.py"
_IMAGE = re.compile(r"^[a-z0-9][a-z0-9./_:-]*(@sha256:[0-9a-f]{64})?$")
#: Label Argo Events puts on an EventSource's pods.
EVENTSOURCE_POD_LABEL = "eventsource-name"


def app_source() -> str:
    """The verifier's source text, as installed (package data of this package)."""
    return resources.files("metaflow_blueprints.ingress").joinpath(APP_FILE).read_text()


def check_image(image: str) -> str:
    """A container image reference pinned by digest or by an exact (non-``latest``) tag."""
    if is_unresolved(image):
        return image
    if not isinstance(image, str) or not _IMAGE.fullmatch(image):
        raise BlueprintError("verifier_image", image, "is not a container image reference.")
    name = image.split("@", 1)[0]
    tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else None
    if "@sha256:" not in image and (tag is None or tag == "latest"):
        raise BlueprintError(
            "verifier_image",
            image,
            "is not pinned: give an exact tag or a digest (image@sha256:...).",
        )
    return image


class SignatureVerifier(LibraryConstruct):
    """Deployment + Service + ConfigMap + NetworkPolicy that verify and forward webhooks.

    The pods run :mod:`~metaflow_blueprints.ingress.verifier_app` as uid 65534 with a
    read-only root filesystem, no privilege escalation, every capability dropped, the
    RuntimeDefault seccomp profile, no service-account token, resource limits, and
    ``/healthz`` probes. The NetworkPolicy admits only these pods to the EventSource's
    pods (label ``eventsource-name``) on ``upstream_port``: nothing else in the cluster,
    the ingress controller included, reaches the EventSource directly.

    :param name: object name stem; objects are ``<name>-verifier`` (and
        ``<name>-eventsource-only-verifier`` for the NetworkPolicy).
    :param namespace: namespace of the EventSource.
    :param vendor: ``"dbt-cloud"`` or ``"fivetran"`` (which header holds the signature).
    :param signing_secret: Secret key holding the signing secret (mounted read-only).
    :param event_source_name: the EventSource, for its Service and pod label.
    :param upstream_port: the EventSource's webhook port.
    :param image: Python image. Default :data:`DEFAULT_IMAGE`.
    :param replicas: Default 2.
    :param max_body_bytes: refused above this with 413. Default 1 MiB (the EventSource's).
    :param upstream_timeout_seconds: 504 when the EventSource is slower. Default 8 (dbt
        Cloud gives up after 10 s).
    :param labels: extra labels on every object.

    Attributes: ``config_map``, ``deployment``, ``service``, ``network_policy`` (provider
    resources), ``service_name``, ``port``.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        name: str,
        namespace: str,
        vendor: str,
        signing_secret: SecretKeyRef,
        event_source_name: str,
        upstream_port: int,
        image: str = DEFAULT_IMAGE,
        replicas: int = 2,
        max_body_bytes: int = 1024 * 1024,
        upstream_timeout_seconds: int = 8,
        labels: Mapping[str, str] | None = None,
    ) -> None:
        if vendor not in SIGNATURE_HEADERS:
            raise BlueprintError("vendor", vendor, f"must be one of {sorted(SIGNATURE_HEADERS)}.")
        check_image(image)
        for field, value, bounds in (
            ("verifier_replicas", replicas, rules.REPLICAS),
            ("max_payload_size", max_body_bytes, rules.BODY_BYTES),
            ("upstream_timeout_seconds", upstream_timeout_seconds, rules.UPSTREAM_TIMEOUT_SECONDS),
        ):
            bounds.check(field, value)
        super().__init__(scope, id)
        self.service_name = f"{name}-verifier"
        self.port = VERIFIER_PORT
        selector = {"app.kubernetes.io/name": "mfb-verifier", "app.kubernetes.io/instance": name}
        all_labels = {**dict(labels or {}), **selector}
        upstream = f"http://{event_source_name}-eventsource-svc.{namespace}.svc:{upstream_port}"

        cm = provider_module("kubernetes", "config_map_v1")
        self.config_map = cm.ConfigMapV1(
            self,
            "app",
            metadata=cm.ConfigMapV1Metadata(
                name=self.service_name, namespace=namespace, labels=all_labels
            ),
            data={APP_FILE: app_source()},
        )
        self.deployment = self._deployment(
            namespace=namespace,
            labels=all_labels,
            selector=selector,
            image=image,
            replicas=replicas,
            signing_secret=signing_secret,
            env={
                "VERIFIER_VENDOR": vendor,
                "VERIFIER_SECRET_FILE": "/etc/verifier/secret",
                "VERIFIER_UPSTREAM": upstream,
                "VERIFIER_PORT": str(VERIFIER_PORT),
                "VERIFIER_MAX_BODY_BYTES": str(max_body_bytes),
                "VERIFIER_UPSTREAM_TIMEOUT_SECONDS": str(upstream_timeout_seconds),
                "PYTHONUNBUFFERED": "1",
            },
        )
        svc = provider_module("kubernetes", "service_v1")
        self.service = svc.ServiceV1(
            self,
            "service",
            metadata=svc.ServiceV1Metadata(
                name=self.service_name, namespace=namespace, labels=all_labels
            ),
            spec=svc.ServiceV1Spec(
                selector=selector,
                port=[
                    svc.ServiceV1SpecPort(
                        name="http", port=VERIFIER_PORT, target_port=str(VERIFIER_PORT)
                    )
                ],
                type="ClusterIP",
            ),
        )
        np = provider_module("kubernetes", "network_policy_v1")
        self.network_policy = np.NetworkPolicyV1(
            self,
            "network_policy",
            metadata=np.NetworkPolicyV1Metadata(
                name=f"{name}-eventsource-only-verifier", namespace=namespace, labels=all_labels
            ),
            spec=np.NetworkPolicyV1Spec(
                pod_selector=np.NetworkPolicyV1SpecPodSelector(
                    match_labels={EVENTSOURCE_POD_LABEL: event_source_name}
                ),
                policy_types=["Ingress"],
                ingress=[
                    np.NetworkPolicyV1SpecIngress(
                        from_=[
                            np.NetworkPolicyV1SpecIngressFrom(
                                pod_selector=np.NetworkPolicyV1SpecIngressFromPodSelector(
                                    match_labels=selector
                                )
                            )
                        ],
                        ports=[
                            np.NetworkPolicyV1SpecIngressPorts(
                                port=str(upstream_port), protocol="TCP"
                            )
                        ],
                    )
                ],
            ),
        )

    def _deployment(
        self,
        *,
        namespace: str,
        labels: dict[str, str],
        selector: dict[str, str],
        image: str,
        replicas: int,
        signing_secret: SecretKeyRef,
        env: dict[str, str],
    ) -> Any:
        d = provider_module("kubernetes", "deployment_v1")
        probe: dict[str, Any] = {
            "http_get": d.DeploymentV1SpecTemplateSpecContainerLivenessProbeHttpGet(
                path=HEALTH_PATH, port=str(VERIFIER_PORT)
            ),
            "period_seconds": 10,
            "timeout_seconds": 2,
        }
        container = d.DeploymentV1SpecTemplateSpecContainer(
            name="verifier",
            image=image,
            image_pull_policy="Always",
            command=["python", "-I", "-B", f"/app/{APP_FILE}"],
            env=[
                d.DeploymentV1SpecTemplateSpecContainerEnv(name=k, value=v) for k, v in env.items()
            ],
            port=[
                d.DeploymentV1SpecTemplateSpecContainerPort(
                    name="http", container_port=VERIFIER_PORT, protocol="TCP"
                )
            ],
            liveness_probe=d.DeploymentV1SpecTemplateSpecContainerLivenessProbe(**probe),
            readiness_probe=d.DeploymentV1SpecTemplateSpecContainerReadinessProbe(
                http_get=d.DeploymentV1SpecTemplateSpecContainerReadinessProbeHttpGet(
                    path=HEALTH_PATH, port=str(VERIFIER_PORT)
                ),
                period_seconds=5,
                timeout_seconds=2,
            ),
            resources=d.DeploymentV1SpecTemplateSpecContainerResources(
                requests={"cpu": "10m", "memory": "32Mi"},
                limits={"cpu": "250m", "memory": "96Mi"},
            ),
            security_context=d.DeploymentV1SpecTemplateSpecContainerSecurityContext(
                run_as_non_root=True,
                run_as_user=str(RUN_AS_USER),
                run_as_group=str(RUN_AS_USER),
                read_only_root_filesystem=True,
                allow_privilege_escalation=False,
                privileged=False,
                capabilities=d.DeploymentV1SpecTemplateSpecContainerSecurityContextCapabilities(
                    drop=["ALL"]
                ),
                seccomp_profile=d.DeploymentV1SpecTemplateSpecContainerSecurityContextSeccompProfile(
                    type="RuntimeDefault"
                ),
            ),
            volume_mount=[
                d.DeploymentV1SpecTemplateSpecContainerVolumeMount(
                    name="app", mount_path="/app", read_only=True
                ),
                d.DeploymentV1SpecTemplateSpecContainerVolumeMount(
                    name="signing-secret", mount_path="/etc/verifier", read_only=True
                ),
            ],
        )
        return d.DeploymentV1(
            self,
            "deployment",
            metadata=d.DeploymentV1Metadata(
                name=self.service_name, namespace=namespace, labels=labels
            ),
            spec=d.DeploymentV1Spec(
                replicas=str(replicas),
                selector=d.DeploymentV1SpecSelector(match_labels=selector),
                template=d.DeploymentV1SpecTemplate(
                    metadata=d.DeploymentV1SpecTemplateMetadata(labels=labels),
                    spec=d.DeploymentV1SpecTemplateSpec(
                        automount_service_account_token=False,
                        enable_service_links=False,
                        security_context=d.DeploymentV1SpecTemplateSpecSecurityContext(
                            run_as_non_root=True,
                            run_as_user=str(RUN_AS_USER),
                            seccomp_profile=d.DeploymentV1SpecTemplateSpecSecurityContextSeccompProfile(
                                type="RuntimeDefault"
                            ),
                        ),
                        container=[container],
                        volume=[
                            d.DeploymentV1SpecTemplateSpecVolume(
                                name="app",
                                config_map=d.DeploymentV1SpecTemplateSpecVolumeConfigMap(
                                    name=self.config_map.metadata.name, default_mode="0444"
                                ),
                            ),
                            d.DeploymentV1SpecTemplateSpecVolume(
                                name="signing-secret",
                                secret=d.DeploymentV1SpecTemplateSpecVolumeSecret(
                                    secret_name=signing_secret.name,
                                    default_mode="0444",
                                    items=[
                                        d.DeploymentV1SpecTemplateSpecVolumeSecretItems(
                                            key=signing_secret.key, path="secret"
                                        )
                                    ],
                                ),
                            ),
                        ],
                    ),
                ),
            ),
        )
