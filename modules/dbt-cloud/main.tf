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
  description = "Stem of the EventSource, Sensor and Ingress names; unique per namespace. At most 42 characters (the bridge sensor is `mfb--<name>`)."
  validation {
    condition     = var.name == null || (can(regex("^[a-z]([a-z0-9-]{0,45}[a-z0-9])?$", var.name)) && try(length(var.name), 0) <= 42)
    error_message = "name must be 1-42 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit."
  }
}

variable "event" {
  type        = string
  description = "Metaflow event name, e.g. `\"dbt.job.completed\"`."
  validation {
    condition     = var.event == null || (can(regex("^[A-Za-z0-9_.-]+$", var.event)))
    error_message = "event is not a valid Metaflow event name: use letters, digits, '_', '.' and '-' (e.g. 'data.updated')."
  }
}

variable "account_id" {
  type        = string
  description = "dbt Cloud account id (string), checked against `accountId`."
  validation {
    condition     = var.account_id == null || (can(regex("^[0-9]+$", var.account_id)))
    error_message = "account_id must be a dbt Cloud id, digits only, e.g. '12345' (ids arrive as strings)."
  }
}

variable "host" {
  type        = string
  description = "Public host name of the Ingress the vendor calls, e.g. `hooks.example.com`."
  validation {
    condition     = var.host == null || (can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$", var.host)) && try(length(var.host), 0) <= 253)
    error_message = "host must be a bare lower-case DNS name of at most 253 characters (no scheme, port, path, spaces or wildcard), e.g. 'hooks.example.com'."
  }
  validation {
    condition     = var.host == null || (can(regex("[a-z][-a-z0-9]*$", var.host)))
    error_message = "host must be a DNS name, not an IP address."
  }
}

variable "tls_secret_name" {
  type        = string
  description = "Secret with the TLS certificate for `host`. Default (null): the Ingress controller's default certificate (the TLS block is always written; the URL is https)."
  default     = null
  validation {
    condition     = var.tls_secret_name == null || (can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$", var.tls_secret_name)) && try(length(var.tls_secret_name), 0) <= 253)
    error_message = "tls_secret_name is not a valid Kubernetes object name (lower-case DNS-1123 subdomain)."
  }
}

variable "ingress_class_name" {
  type        = string
  description = "IngressClass of the Ingress. Default (null): the cluster's default."
  default     = null
  validation {
    condition     = var.ingress_class_name == null || (can(regex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$", var.ingress_class_name)) && try(length(var.ingress_class_name), 0) <= 253)
    error_message = "ingress_class_name is not a valid Kubernetes object name (lower-case DNS-1123 subdomain)."
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

resource "kubernetes_ingress_v1" "dbt_cloud_ingress_FC81A4FB" {
  metadata {
    labels = {
      "app.kubernetes.io/managed-by" = "metaflow-blueprints"
    }
    name      = var.name
    namespace = var.namespace
  }
  spec {
    ingress_class_name = var.ingress_class_name
    rule {
      host = var.host
      http {
        path {
          backend {
            service {
              name = "${var.name}-eventsource-svc"
              port {
                number = 12000
              }
            }
          }
          path      = "/${var.name}/${sensitive(random_id.dbt_cloud_path_value_6F67EC6B.hex)}"
          path_type = "Exact"
        }
      }
    }
    tls {
      hosts = [
        "${var.host}",
      ]
      secret_name = var.tls_secret_name
    }
  }
}

resource "kubernetes_manifest" "dbt_cloud_event_source_manifest_484B5CB7" {
  computed_fields = [
    "metadata.annotations",
    "metadata.labels",
    "metadata.finalizers",
  ]
  depends_on = [kubernetes_manifest.dbt_cloud_sensor_manifest_F88A9ECA]
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
          endpoint = "/${var.name}/${sensitive(random_id.dbt_cloud_path_value_6F67EC6B.hex)}"
          method   = "POST"
          port     = "12000"
          url      = ""
        }
      }
    }
  }
}

resource "kubernetes_manifest" "dbt_cloud_sensor_manifest_F88A9ECA" {
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
          filters = {
            data = [
              {
                path = "body.eventType"
                type = "string"
                value = [
                  "^job[.]run[.]completed$",
                ]
              },
              {
                path = "metaflow.account_id"
                type = "string"
                value = [
                  "^${regex("^[0-9]+$", var.account_id)}$",
                ]
              },
              {
                path = "body.data.runStatus"
                type = "string"
                value = [
                  "^Success$",
                ]
              },
            ]
            exprs = [
              {
                expr = "true == true"
                fields = [
                  {
                    name = "field"
                    path = "body.accountId"
                  },
                ]
              },
              {
                expr = "true == true"
                fields = [
                  {
                    name = "field"
                    path = "body.data.projectId"
                  },
                ]
              },
              {
                expr = "true == true"
                fields = [
                  {
                    name = "field"
                    path = "body.data.environmentId"
                  },
                ]
              },
              {
                expr = "true == true"
                fields = [
                  {
                    name = "field"
                    path = "body.data.jobId"
                  },
                ]
              },
              {
                expr = "true == true"
                fields = [
                  {
                    name = "field"
                    path = "body.data.runId"
                  },
                ]
              },
              {
                expr = "true == true"
                fields = [
                  {
                    name = "field"
                    path = "body.data.runStatus"
                  },
                ]
              },
            ]
          }
          name = "source"
          transform = {
            jq = "def mfb_epoch: sub(\"[.][0-9]+\"; \"\") | sub(\"[+]00:00$\"; \"Z\") | fromdateiso8601; . as $e | ($e | (try ((try getpath([\"body\", \"timestamp\"]) catch null) | mfb_epoch) catch (now | floor))) as $ts | . + {\"metaflow\": ({ name: \"${var.event}\", id: ($e | ((try getpath([\"body\", \"data\", \"runId\"]) catch null) | if . == null then null else tostring end) | tostring), timestamp: $ts, utc_date: ($ts | strftime(\"%Y%m%d\")), \"account_id\": ($e | ((try getpath([\"body\", \"accountId\"]) catch null) | if . == null then null else tostring end)), \"project_id\": ($e | ((try getpath([\"body\", \"data\", \"projectId\"]) catch null) | if . == null then null else tostring end)), \"environment_id\": ($e | ((try getpath([\"body\", \"data\", \"environmentId\"]) catch null) | if . == null then null else tostring end)), \"job_id\": ($e | ((try getpath([\"body\", \"data\", \"jobId\"]) catch null) | if . == null then null else tostring end)), \"job_name\": ($e | ((try getpath([\"body\", \"data\", \"jobName\"]) catch null) | if . == null then null else tostring end)), \"run_id\": ($e | ((try getpath([\"body\", \"data\", \"runId\"]) catch null) | if . == null then null else tostring end)), \"run_status\": ($e | ((try getpath([\"body\", \"data\", \"runStatus\"]) catch null) | if . == null then null else tostring end)), \"run_started_at\": ($e | ((try getpath([\"body\", \"data\", \"runStartedAt\"]) catch null) | if . == null then null else tostring end)), \"run_finished_at\": ($e | ((try getpath([\"body\", \"data\", \"runFinishedAt\"]) catch null) | if . == null then null else tostring end)) } | with_entries(select(.value != null)))}"
          }
        },
      ]
      eventBusName = "${var.event_bus}"
      replicas     = 1
      template = {
        serviceAccountName = "mfb-dbt-cloud-metaflow-bridge"
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
    name      = "mfb-dbt-cloud-metaflow-bridge"
    namespace = var.namespace
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = "mfb-dbt-cloud-metaflow-bridge"
  }
  subject {
    kind      = "ServiceAccount"
    name      = "mfb-dbt-cloud-metaflow-bridge"
    namespace = var.namespace
  }
}

resource "kubernetes_role_v1" "metaflow_dead_letters_role_C41BECED" {
  metadata {
    labels = {
      "app.kubernetes.io/managed-by" = "metaflow-blueprints"
    }
    name      = "mfb-dbt-cloud-metaflow-bridge"
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

resource "kubernetes_service_account_v1" "metaflow_dead_letters_account_service_account_573288BB" {
  automount_service_account_token = true
  metadata {
    labels = {
      "app.kubernetes.io/managed-by" = "metaflow-blueprints"
    }
    name      = "mfb-dbt-cloud-metaflow-bridge"
    namespace = var.namespace
  }
}

resource "random_id" "dbt_cloud_path_value_6F67EC6B" {
  byte_length = 32
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
  description = "In-cluster webhook URL (its path is the secret)."
  sensitive   = true
  value       = "http://${var.name}-eventsource-svc.${var.namespace}.svc:12000/${var.name}/${sensitive(random_id.dbt_cloud_path_value_6F67EC6B.hex)}"
}

output "external_url" {
  description = "Public webhook URL to register with the vendor (its path is the secret)."
  sensitive   = true
  value       = "https://${var.host}/${var.name}/${sensitive(random_id.dbt_cloud_path_value_6F67EC6B.hex)}"
}
