terraform {
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.50"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.38"
    }
  }
}

variable "name" {
  type        = string
  description = "Stem of the topic, subscription, service account, EventSource and Sensor names; unique per namespace. At most 26 characters (the bridge sensor is `mfb--<name>`)."
  validation {
    condition     = var.name == null || (can(regex("^[a-z]([a-z0-9-]{0,45}[a-z0-9])?$", var.name)) && try(length(var.name), 0) <= 26)
    error_message = "name must be 1-26 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit."
  }
  validation {
    condition     = var.name == null || (can(regex("^.{3,}$", var.name)))
    error_message = "name must be at least 3 characters (a Pub/Sub topic is named after it)."
  }
  validation {
    condition     = var.name == null || (can(regex("^([^g]|g[^o]|go[^o]|goo[^g]|goo$)", var.name)))
    error_message = "name must not start with 'goog' (reserved by Pub/Sub)."
  }
}

variable "event" {
  type        = string
  description = "Metaflow event name, e.g. `\"gcs.object.finalized\"`."
  validation {
    condition     = var.event == null || (can(regex("^[A-Za-z0-9_.-]+$", var.event)))
    error_message = "event is not a valid Metaflow event name: use letters, digits, '_', '.' and '-' (e.g. 'data.updated')."
  }
}

variable "project" {
  type        = string
  description = "project of the topic, subscription and service account."
  validation {
    condition     = var.project == null || (can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project)))
    error_message = "project is not a GCP project id: 6-30 lower-case letters, digits or '-', starting with a letter (the id, not the name or number)."
  }
}

variable "bucket_name" {
  type        = string
  description = "the existing bucket (name, not `gs://`)."
  validation {
    condition     = var.bucket_name == null || (can(regex("^[a-z0-9][a-z0-9._-]{1,220}[a-z0-9]$", var.bucket_name)))
    error_message = "bucket_name is not a GCS bucket name: 3-222 lower-case letters, digits, '-', '_', '.' (the bare name, without gs:// or a path)."
  }
}

variable "bucket_project" {
  type        = string
  description = "Project that owns the bucket (whose GCS service agent publishes). Default (null): `project`."
  default     = null
  validation {
    condition     = var.bucket_project == null || (can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.bucket_project)))
    error_message = "bucket_project is not a GCP project id: 6-30 lower-case letters, digits or '-', starting with a letter (the id, not the name or number)."
  }
}

variable "prefix" {
  type        = string
  description = "Only objects whose name starts with it (notification filter). Default (null): every object."
  default     = null
}

variable "subscription_id" {
  type        = string
  description = "Id of the created subscription (the dead-letter topic and its subscription add `-dlq`). Default (null): `mfb-<name>`."
  default     = null
  validation {
    condition     = var.subscription_id == null || (can(regex("^[A-Za-z][A-Za-z0-9\\-_.~+%]{2,254}$", var.subscription_id)))
    error_message = "subscription_id is not a Pub/Sub id: 3-255 letters, digits and '-_.~+%', starting with a letter."
  }
  validation {
    condition     = var.subscription_id == null || (can(regex("^([^Gg]|[Gg]([^Oo]|$)|[Gg][Oo]([^Oo]|$)|[Gg][Oo][Oo]([^Gg]|$))", var.subscription_id)))
    error_message = "subscription_id must not start with 'goog' (reserved by Pub/Sub)."
  }
}

variable "service_account_id" {
  type        = string
  description = "Id of the Google service account the EventSource runs as. Default (null): `mfb-<name>`."
  default     = null
  validation {
    condition     = var.service_account_id == null || (can(regex("^[a-z]([-a-z0-9]{4,28}[a-z0-9])$", var.service_account_id)))
    error_message = "service_account_id is not a service account id: 6-30 lower-case letters, digits and '-', starting with a letter and ending with a letter or digit."
  }
}

variable "workload_identity_pool" {
  type        = string
  description = "The GKE cluster's Workload Identity pool. Default (null): `<project>.svc.id.goog` (set it when the cluster runs in another project)."
  default     = null
}

variable "dead_letter_alert" {
  type        = bool
  description = "create a Cloud Monitoring alert policy (`google_monitoring_alert_policy`) that opens an incident as soon as the dead-letter subscription holds a message (`pubsub.googleapis.com/subscription/num_undelivered_messages` > 0, maximum over 5 minutes). `False` creates none. Default `True` (with `dead_letter`)."
  default     = true
  nullable    = false
}

variable "dead_letter_notification_channels" {
  type        = list(string)
  description = "notification channels of the alert policy (`projects/P/notificationChannels/ID`). Default: none (incidents show in the console only)."
  default     = []
  nullable    = false
  validation {
    condition     = alltrue([for e in coalesce(var.dead_letter_notification_channels, []) : can(regex("^projects/[^/]+/notificationChannels/[^/]+$", e))])
    error_message = "dead_letter_notification_channels has an element that is not a notification channel name. Use projects/<project>/notificationChannels/<id> (google_monitoring_notification_channel's id)."
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

resource "google_monitoring_alert_policy" "gcs_subscription_dead_letter_alert_A2CE196F" {
  combiner = "OR"
  conditions {
    condition_threshold {
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
      comparison      = "COMPARISON_GT"
      duration        = "0s"
      filter          = "metric.type = \"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.type = \"pubsub_subscription\" AND resource.labels.project_id = \"${var.project}\" AND resource.labels.subscription_id = \"${google_pubsub_subscription.gcs_subscription_dead_letter_subscription_AD8AED3D.name}\""
      threshold_value = 0
      trigger {
        count = 1
      }
    }
    display_name = "pubsub.googleapis.com/subscription/num_undelivered_messages > 0 on ${coalesce(var.subscription_id, "mfb-${var.name}")}-dlq"
  }
  count        = var.dead_letter_alert ? 1 : 0
  display_name = "Pub/Sub dead letters in ${coalesce(var.subscription_id, "mfb-${var.name}")}-dlq"
  documentation {
    content   = "Messages that failed every delivery attempt of subscription ${coalesce(var.subscription_id, "mfb-${var.name}")} wait in ${coalesce(var.subscription_id, "mfb-${var.name}")}-dlq. Inspect them and re-publish them to the topic (docs/delivery.md)."
    mime_type = "text/markdown"
  }
  notification_channels = var.dead_letter_notification_channels
  project               = var.project
  user_labels = {
    managed-by = "metaflow-blueprints"
  }
}

resource "google_pubsub_subscription" "gcs_subscription_9EE8F4D7" {
  ack_deadline_seconds = 60
  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.gcs_subscription_dead_letter_topic_C792E98E.id
    max_delivery_attempts = 5
  }
  expiration_policy {
    ttl = ""
  }
  labels = {
    managed-by = "metaflow-blueprints"
  }
  message_retention_duration = "604800s"
  name                       = coalesce(var.subscription_id, "mfb-${var.name}")
  project                    = var.project
  retry_policy {
    maximum_backoff = "600s"
    minimum_backoff = "10s"
  }
  topic = google_pubsub_topic.gcs_topic_3535538F.id
}

resource "google_pubsub_subscription" "gcs_subscription_dead_letter_subscription_AD8AED3D" {
  ack_deadline_seconds = 60
  expiration_policy {
    ttl = ""
  }
  labels = {
    managed-by = "metaflow-blueprints"
  }
  message_retention_duration = "604800s"
  name                       = "${coalesce(var.subscription_id, "mfb-${var.name}")}-dlq"
  project                    = var.project
  topic                      = google_pubsub_topic.gcs_subscription_dead_letter_topic_C792E98E.id
}

resource "google_pubsub_subscription_iam_member" "gcs_identity_subscriber_772D9881" {
  member       = google_service_account.gcs_identity_service_account_955958C8.member
  project      = var.project
  role         = "roles/pubsub.subscriber"
  subscription = google_pubsub_subscription.gcs_subscription_9EE8F4D7.name
}

resource "google_pubsub_subscription_iam_member" "gcs_subscription_dead_letter_subscriber_DA947963" {
  member       = "serviceAccount:service-${data.google_project.gcs_subscription_project_912E9DB6.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
  project      = var.project
  role         = "roles/pubsub.subscriber"
  subscription = google_pubsub_subscription.gcs_subscription_9EE8F4D7.name
}

resource "google_pubsub_topic" "gcs_subscription_dead_letter_topic_C792E98E" {
  labels = {
    managed-by = "metaflow-blueprints"
  }
  name    = "${coalesce(var.subscription_id, "mfb-${var.name}")}-dlq"
  project = var.project
}

resource "google_pubsub_topic" "gcs_topic_3535538F" {
  labels = {
    managed-by = "metaflow-blueprints"
  }
  name    = var.name
  project = var.project
}

resource "google_pubsub_topic_iam_member" "gcs_publisher_0E6C04B6" {
  member  = data.google_storage_project_service_account.gcs_storage_service_agent_4E7778D0.member
  project = var.project
  role    = "roles/pubsub.publisher"
  topic   = google_pubsub_topic.gcs_topic_3535538F.name
}

resource "google_pubsub_topic_iam_member" "gcs_subscription_dead_letter_publisher_523B2492" {
  member  = "serviceAccount:service-${data.google_project.gcs_subscription_project_912E9DB6.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
  project = var.project
  role    = "roles/pubsub.publisher"
  topic   = google_pubsub_topic.gcs_subscription_dead_letter_topic_C792E98E.name
}

resource "google_service_account" "gcs_identity_service_account_955958C8" {
  account_id   = coalesce(var.service_account_id, "mfb-${var.name}")
  description  = "Argo Events Pub/Sub source ${var.namespace}/${var.name}-pubsub (metaflow-blueprints); subscriber on one subscription only."
  display_name = "Pub/Sub consumer ${coalesce(var.service_account_id, "mfb-${var.name}")}"
  project      = var.project
}

resource "google_service_account_iam_member" "gcs_identity_workload_identity_user_4DCEFC1B" {
  member             = "serviceAccount:${coalesce(var.workload_identity_pool, "${var.project}.svc.id.goog")}[${var.namespace}/${var.name}-pubsub]"
  role               = "roles/iam.workloadIdentityUser"
  service_account_id = google_service_account.gcs_identity_service_account_955958C8.name
}

resource "google_storage_notification" "gcs_notification_2B7B9BFD" {
  bucket = var.bucket_name
  custom_attributes = {
    metaflow-event = "${var.event}"
  }
  depends_on = [google_pubsub_topic_iam_member.gcs_publisher_0E6C04B6]
  event_types = [
    "OBJECT_FINALIZE",
  ]
  object_name_prefix = var.prefix
  payload_format     = "JSON_API_V1"
  topic              = google_pubsub_topic.gcs_topic_3535538F.id
}

resource "kubernetes_manifest" "gcs_event_source_manifest_AC72B2FF" {
  computed_fields = [
    "metadata.annotations",
    "metadata.labels",
    "metadata.finalizers",
  ]
  depends_on = [google_pubsub_subscription.gcs_subscription_9EE8F4D7, google_pubsub_subscription_iam_member.gcs_identity_subscriber_772D9881, google_service_account_iam_member.gcs_identity_workload_identity_user_4DCEFC1B, kubernetes_service_account_v1.gcs_identity_kubernetes_service_account_4F2B747C, kubernetes_manifest.gcs_sensor_manifest_9CB46DEA]
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
      pubSub = {
        metaflow-event = {
          jsonBody       = true
          projectID      = "${var.project}"
          subscriptionID = "${coalesce(var.subscription_id, "mfb-${var.name}")}"
          topic          = ""
          topicProjectID = ""
        }
      }
      template = {
        serviceAccountName = "${var.name}-pubsub"
      }
    }
  }
}

resource "kubernetes_manifest" "gcs_sensor_manifest_9CB46DEA" {
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
                path = "attributes.eventType"
                type = "string"
                value = [
                  "^OBJECT_FINALIZE$",
                ]
              },
            ]
            exprs = [
              {
                expr = "true == true"
                fields = [
                  {
                    name = "field"
                    path = "attributes.bucketId"
                  },
                ]
              },
              {
                expr = "true == true"
                fields = [
                  {
                    name = "field"
                    path = "attributes.objectId"
                  },
                ]
              },
              {
                expr = "true == true"
                fields = [
                  {
                    name = "field"
                    path = "attributes.objectGeneration"
                  },
                ]
              },
              {
                expr = "true == true"
                fields = [
                  {
                    name = "field"
                    path = "attributes.eventType"
                  },
                ]
              },
              {
                expr = "true == true"
                fields = [
                  {
                    name = "field"
                    path = "attributes.eventTime"
                  },
                ]
              },
            ]
          }
          name = "source"
          transform = {
            jq = "def mfb_epoch: sub(\"[.][0-9]+\"; \"\") | sub(\"[+]00:00$\"; \"Z\") | fromdateiso8601; . as $e | ($e | (.attributes.eventTime | if (type == \"string\" and test(\"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}([.][0-9]+)?Z$\")) then mfb_epoch else (now | floor) end)) as $ts | . + {\"metaflow\": ({ name: \"${var.event}\", id: ($e | (.attributes.bucketId + \"/\" + .attributes.objectId + \"#\" + .attributes.objectGeneration) | tostring), timestamp: $ts, utc_date: ($ts | strftime(\"%Y%m%d\")), \"bucket\": ($e | (try getpath([\"attributes\", \"bucketId\"]) catch null)), \"object_name\": ($e | (try getpath([\"attributes\", \"objectId\"]) catch null)), \"generation\": ($e | (try getpath([\"attributes\", \"objectGeneration\"]) catch null)), \"size\": ($e | ((try (.body.size | if type == \"string\" then tonumber else . end) catch null))), \"content_type\": ($e | ((try getpath([\"body\", \"contentType\"]) catch null) as $v | if $v == null then null else $v end)), \"event_type\": ($e | (try getpath([\"attributes\", \"eventType\"]) catch null)), \"event_time\": ($e | (try getpath([\"attributes\", \"eventTime\"]) catch null)) } | with_entries(select(.value != null)))}"
          }
        },
      ]
      eventBusName = "${var.event_bus}"
      replicas     = 1
      template = {
        serviceAccountName = "mfb-gcs-metaflow-bridge"
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
    name      = "mfb-gcs-metaflow-bridge"
    namespace = var.namespace
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = "mfb-gcs-metaflow-bridge"
  }
  subject {
    kind      = "ServiceAccount"
    name      = "mfb-gcs-metaflow-bridge"
    namespace = var.namespace
  }
}

resource "kubernetes_role_v1" "metaflow_dead_letters_role_C41BECED" {
  metadata {
    labels = {
      "app.kubernetes.io/managed-by" = "metaflow-blueprints"
    }
    name      = "mfb-gcs-metaflow-bridge"
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

resource "kubernetes_service_account_v1" "gcs_identity_kubernetes_service_account_4F2B747C" {
  automount_service_account_token = true
  metadata {
    annotations = {
      "iam.gke.io/gcp-service-account" = "${google_service_account.gcs_identity_service_account_955958C8.email}"
    }
    labels = {
      "app.kubernetes.io/managed-by" = "metaflow-blueprints"
    }
    name      = "${var.name}-pubsub"
    namespace = var.namespace
  }
}

resource "kubernetes_service_account_v1" "metaflow_dead_letters_account_service_account_573288BB" {
  automount_service_account_token = true
  metadata {
    labels = {
      "app.kubernetes.io/managed-by" = "metaflow-blueprints"
    }
    name      = "mfb-gcs-metaflow-bridge"
    namespace = var.namespace
  }
}

output "event_source_name" {
  description = "Name of the EventSource."
  value       = var.name
}

output "sensor_name" {
  description = "Name of the bridge Sensor."
  value       = "mfb--${var.name}"
}

output "topic_id" {
  description = "Full id of the created topic."
  value       = google_pubsub_topic.gcs_topic_3535538F.id
}

output "subscription_id" {
  description = "Full id of the subscription the EventSource pulls (projects/P/subscriptions/S)."
  value       = google_pubsub_subscription.gcs_subscription_9EE8F4D7.id
}

output "dead_letter_topic_id" {
  description = "Full id of the dead-letter topic."
  value       = google_pubsub_topic.gcs_subscription_dead_letter_topic_C792E98E.id
}

output "service_account_email" {
  description = "Email of the Google service account the EventSource runs as."
  value       = google_service_account.gcs_identity_service_account_955958C8.email
}

output "notification_id" {
  description = "Id of the bucket's `google_storage_notification`."
  value       = google_storage_notification.gcs_notification_2B7B9BFD.notification_id
}

data "google_project" "gcs_subscription_project_912E9DB6" {
  project_id = var.project
}

data "google_storage_project_service_account" "gcs_storage_service_agent_4E7778D0" {
  project = coalesce(var.bucket_project, var.project)
}
