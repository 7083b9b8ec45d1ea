terraform {
  required_providers {
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.38"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.7"
    }
  }
}

variable "name" {
  type        = string
  description = "Stem of the EventSource, Sensor and Secret names; unique per namespace. At most 42 characters (the bridge sensor is `mfb--<name>`)."
  validation {
    condition     = var.name == null || (can(regex("^[a-z]([a-z0-9-]{0,45}[a-z0-9])?$", var.name)) && try(length(var.name), 0) <= 42)
    error_message = "name must be 1-42 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit."
  }
}

variable "event" {
  type        = string
  description = "Metaflow event name, e.g. `\"data.updated\"`."
  validation {
    condition     = var.event == null || (can(regex("^[A-Za-z0-9_.-]+$", var.event)))
    error_message = "event is not a valid Metaflow event name: use letters, digits, '_', '.' and '-' (e.g. 'data.updated')."
  }
}

variable "endpoint" {
  type        = string
  description = "URL path of the webhook. Default (null): `/<name>`."
  default     = null
  validation {
    condition     = var.endpoint == null || (can(regex("^/[A-Za-z0-9._~\\-/]*$", var.endpoint)) && try(!contains(["/health"], var.endpoint), true))
    error_message = "endpoint must be a URL path starting with '/' (letters, digits, '._~-/'), not /health."
  }
}

variable "namespace" {
  type        = string
  description = "Namespace of Metaflow's Argo Events setup (EventBus, webhook EventSource); the blueprint's objects go there too."
  default     = "default"
  validation {
    condition     = var.namespace == null || (can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", var.namespace)))
    error_message = "namespace is not a valid Kubernetes namespace (DNS-1123 label)."
  }
}

variable "event_bus" {
  type        = string
  description = "Argo Events EventBus (METAFLOW_ARGO_EVENTS_EVENT_BUS)."
  default     = "default"
  validation {
    condition     = var.event_bus == null || (can(regex("^[a-z]([a-z0-9-]{0,45}[a-z0-9])?$", var.event_bus)))
    error_message = "event_bus must be 1-47 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit (the EventSource Service name adds 16 characters and must stay a 63-character DNS label)."
  }
}

variable "webhook_url" {
  type        = string
  description = "In-cluster URL of Metaflow's webhook EventSource. Default (null): http://argo-events-webhook-eventsource-svc.<namespace>:12000/metaflow-event."
  default     = null
  validation {
    condition     = var.webhook_url == null || (can(regex("^https?://", var.webhook_url)))
    error_message = "webhook_url must be an http:// or https:// URL."
  }
}

resource "kubernetes_manifest" "webhook_event_source_manifest_403C9FAD" {
  computed_fields = [
    "metadata.annotations",
    "metadata.labels",
    "metadata.finalizers",
  ]
  depends_on = [kubernetes_secret_v1.webhook_token_secret_FFD14069, kubernetes_manifest.webhook_sensor_manifest_2F913D33]
  field_manager {
    force_conflicts = true
  }
  manifest = {
    apiVersion = "argoproj.io/v1alpha1"
    kind       = "EventSource"
    metadata = {
      labels = {
        "app.kubernetes.io/managed-by" = "metaflow-blueprints"
      }
      name      = "${var.name}"
      namespace = "${var.namespace}"
    }
    spec = {
      eventBusName = "${var.event_bus}"
      service = {
        ports = [
          {
            port       = 12000
            targetPort = 12000
          },
        ]
      }
      webhook = {
        metaflow-event = {
          authSecret = {
            key  = "token"
            name = "${var.name}-token"
          }
          endpoint = "${coalesce(var.endpoint, "/${var.name}")}"
          method   = "POST"
          port     = "12000"
          url      = ""
        }
      }
    }
  }
}

resource "kubernetes_manifest" "webhook_sensor_manifest_2F913D33" {
  computed_fields = [
    "metadata.annotations",
    "metadata.labels",
    "metadata.finalizers",
  ]
  depends_on = [kubernetes_service_account_v1.metaflow_dead_letters_account_service_account_573288BB, kubernetes_role_v1.metaflow_dead_letters_role_C41BECED, kubernetes_role_binding_v1.metaflow_dead_letters_binding_AC18D3FD]
  field_manager {
    force_conflicts = true
  }
  manifest = {
    apiVersion = "argoproj.io/v1alpha1"
    kind       = "Sensor"
    metadata = {
      annotations = {
        "metaflow-blueprints/metaflow-event" = "${var.event}"
      }
      labels = {
        "app.kubernetes.io/managed-by" = "metaflow-blueprints"
      }
      name      = "mfb--${var.name}"
      namespace = "${var.namespace}"
    }
    spec = {
      dependencies = [
        {
          eventName       = "metaflow-event"
          eventSourceName = "${var.name}"
          name            = "source"
          transform = {
            jq = ". as $e | ($e | (now | floor)) as $ts | . + {\"metaflow\": ({ name: \"${var.event}\", timestamp: $ts, utc_date: ($ts | strftime(\"%Y%m%d\")) } | with_entries(select(.value != null)))}"
          }
        },
      ]
      eventBusName = "${var.event_bus}"
      replicas     = 1
      template = {
        serviceAccountName = "mfb-webhook-metaflow-bridge"
      }
      triggers = [
        {
          atLeastOnce = true
          dlqTrigger = {
            atLeastOnce = true
            retryStrategy = {
              duration = "1s"
              factor   = 2
              jitter   = 0.2
              steps    = 5
            }
            template = {
              k8s = {
                operation = "create"
                parameters = [
                  {
                    dest = "data.payload"
                    src = {
                      dataKey        = "metaflow"
                      dependencyName = "source"
                    }
                  },
                  {
                    dest = "data.id"
                    src = {
                      contextKey     = "id"
                      dependencyName = "source"
                    }
                  },
                ]
                source = {
                  resource = {
                    apiVersion = "v1"
                    data = {
                      name = "${var.event}"
                    }
                    kind = "ConfigMap"
                    metadata = {
                      annotations = {
                        "metaflow-blueprints/metaflow-event" = "${var.event}"
                        "metaflow-blueprints/sensor"         = "mfb--${var.name}"
                        "metaflow-blueprints/webhook-url"    = "${coalesce(var.webhook_url, "http://argo-events-webhook-eventsource-svc.${var.namespace}:12000/metaflow-event")}"
                      }
                      generateName = "mfb-dead-letter-"
                      labels = {
                        "app.kubernetes.io/managed-by"    = "metaflow-blueprints"
                        "metaflow-blueprints/dead-letter" = "true"
                      }
                      namespace = "${var.namespace}"
                    }
                  }
                }
              }
              name = "metaflow-dead-letter"
            }
          }
          policy = {
            status = {
              allow = [
                200,
              ]
            }
          }
          retryStrategy = {
            duration = "30s"
            factor   = 1
            jitter   = 0.1
            steps    = 121
          }
          template = {
            http = {
              headers = {
                Content-Type = "application/json"
              }
              host   = ""
              method = "POST"
              payload = [
                {
                  dest = "name"
                  src = {
                    dependencyName = "source"
                    value          = "${var.event}"
                  }
                },
                {
                  dest = "payload"
                  src = {
                    dataKey        = "metaflow"
                    dependencyName = "source"
                    useRawData     = true
                  }
                },
                {
                  dest = "payload.id"
                  src = {
                    contextKey     = "id"
                    dependencyName = "source"
                  }
                },
              ]
              timeout = 10
              url     = "${coalesce(var.webhook_url, "http://argo-events-webhook-eventsource-svc.${var.namespace}:12000/metaflow-event")}"
            }
            name = "metaflow-bridge"
          }
        },
      ]
    }
  }
  wait {
    condition {
      status = "True"
      type   = "Deployed"
    }
  }
}

resource "kubernetes_role_binding_v1" "metaflow_dead_letters_binding_AC18D3FD" {
  metadata {
    labels = {
      "app.kubernetes.io/managed-by" = "metaflow-blueprints"
    }
    name      = "mfb-webhook-metaflow-bridge"
    namespace = var.namespace
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = "mfb-webhook-metaflow-bridge"
  }
  subject {
    kind      = "ServiceAccount"
    name      = "mfb-webhook-metaflow-bridge"
    namespace = var.namespace
  }
}

resource "kubernetes_role_v1" "metaflow_dead_letters_role_C41BECED" {
  metadata {
    labels = {
      "app.kubernetes.io/managed-by" = "metaflow-blueprints"
    }
    name      = "mfb-webhook-metaflow-bridge"
    namespace = var.namespace
  }
  rule {
    api_groups = [
      "",
    ]
    resources = [
      "configmaps",
    ]
    verbs = [
      "create",
    ]
  }
}

resource "kubernetes_secret_v1" "webhook_token_secret_FFD14069" {
  data = {
    token = "${random_password.webhook_token_value_60398D5F.result}"
  }
  metadata {
    labels = {
      "app.kubernetes.io/managed-by" = "metaflow-blueprints"
    }
    name      = "${var.name}-token"
    namespace = var.namespace
  }
  type = "Opaque"
}

resource "kubernetes_service_account_v1" "metaflow_dead_letters_account_service_account_573288BB" {
  automount_service_account_token = true
  metadata {
    labels = {
      "app.kubernetes.io/managed-by" = "metaflow-blueprints"
    }
    name      = "mfb-webhook-metaflow-bridge"
    namespace = var.namespace
  }
}

resource "random_password" "webhook_token_value_60398D5F" {
  length  = 48
  special = false
}

output "event_source_name" {
  description = "Name of the EventSource."
  value       = var.name
}

output "sensor_name" {
  description = "Name of the bridge Sensor."
  value       = "mfb--${var.name}"
}

output "url" {
  description = "In-cluster URL of the webhook."
  value       = "http://${var.name}-eventsource-svc.${var.namespace}.svc:12000${coalesce(var.endpoint, "/${var.name}")}"
}

output "token" {
  description = "Bearer token callers must send (Authorization: Bearer <token>)."
  sensitive   = true
  value       = random_password.webhook_token_value_60398D5F.result
}

output "token_secret_name" {
  description = "Secret (key `token`) holding the bearer token."
  value       = "${var.name}-token"
}
