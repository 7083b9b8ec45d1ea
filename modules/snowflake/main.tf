terraform {
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.25"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "~> 2.38"
    }
    snowflake = {
      source  = "snowflakedb/snowflake"
      version = "~> 2.11"
    }
  }
}

variable "name" {
  type        = string
  description = "Stem of the Snowflake objects, SNS topic, queue, IAM roles, EventSource and Sensor names; unique per namespace. At most 42 characters (the bridge sensor is `mfb--<name>`)."
  validation {
    condition     = var.name == null || (can(regex("^[a-z]([a-z0-9-]{0,45}[a-z0-9])?$", var.name)) && try(length(var.name), 0) <= 42)
    error_message = "name must be 1-42 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit."
  }
}

variable "event" {
  type        = string
  description = "Metaflow event name, e.g. `\"snowflake.orders.changed\"`."
  validation {
    condition     = var.event == null || (can(regex("^[A-Za-z0-9_.-]+$", var.event)))
    error_message = "event is not a valid Metaflow event name: use letters, digits, '_', '.' and '-' (e.g. 'data.updated')."
  }
}

variable "database" {
  type        = string
  description = "Database of the watched table."
  validation {
    condition     = var.database == null || (can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", var.database)))
    error_message = "database is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case)."
  }
}

variable "schema" {
  type        = string
  description = "Schema of the watched table."
  validation {
    condition     = var.schema == null || (can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", var.schema)))
    error_message = "schema is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case)."
  }
}

variable "table" {
  type        = string
  description = "The watched table."
  validation {
    condition     = var.table == null || (can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", var.table)))
    error_message = "table is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case)."
  }
}

variable "warehouse" {
  type        = string
  description = "Warehouse the triggered task runs on."
  validation {
    condition     = var.warehouse == null || (can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", var.warehouse)))
    error_message = "warehouse is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case)."
  }
}

variable "oidc_provider_arn" {
  type        = string
  description = "ARN of the EKS cluster's IAM OIDC provider (arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<ID>); the event source authenticates with IRSA."
  validation {
    condition     = var.oidc_provider_arn == null || (can(regex(":oidc-provider/", var.oidc_provider_arn)))
    error_message = "oidc_provider_arn is not an IAM OIDC provider ARN: expected arn:aws:iam::<account>:oidc-provider/oidc.eks.<region>.amazonaws.com/id/<ID>."
  }
}

variable "oidc_issuer" {
  type        = string
  description = "The cluster's OIDC issuer URL (`identity[0].oidc[0].issuer` of `aws_eks_cluster`), with or without `https://`."
  validation {
    condition     = var.oidc_issuer == null || (can(regex("/", var.oidc_issuer)))
    error_message = "oidc_issuer is not an OIDC issuer URL: pass the cluster's identity.oidc.issuer, e.g. https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE."
  }
}

variable "dead_letter_alarm" {
  type        = bool
  description = "create a CloudWatch alarm (`aws_cloudwatch_metric_alarm` `<name>-dlq-messages`) that fires as soon as the dead-letter queue holds a message (`ApproximateNumberOfMessagesVisible` > 0, maximum over 5 minutes; no data counts as OK). `False` creates none. Default `True`."
  default     = true
  nullable    = false
}

variable "dead_letter_alarm_actions" {
  type        = list(string)
  description = "ARNs the alarm notifies when it fires (SNS topics, Lambda functions, ...). Default: none (the alarm is visible in CloudWatch only)."
  default     = []
  nullable    = false
  validation {
    condition     = alltrue([for e in coalesce(var.dead_letter_alarm_actions, []) : can(regex("^arn:aws[a-z-]*:(sns|lambda|autoscaling|automate|ssm|ssm-incidents):[a-z0-9-]*:.+$", e))])
    error_message = "dead_letter_alarm_actions has an element that is not a CloudWatch alarm action ARN. Use an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>), a Lambda function ARN, an Auto Scaling policy ARN or an EC2/SSM action ARN."
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

resource "aws_cloudwatch_metric_alarm" "snowflake_queue_dlq_alarm_B4549430" {
  alarm_actions       = var.dead_letter_alarm_actions
  alarm_description   = "Messages in the dead-letter queue ${var.name}-dlq: events that failed 5 receives from ${var.name}. Inspect and redrive them."
  alarm_name          = "${var.name}-dlq-messages"
  comparison_operator = "GreaterThanThreshold"
  count               = var.dead_letter_alarm ? 1 : 0
  dimensions = {
    QueueName = "${aws_sqs_queue.snowflake_queue_dlq_83C336CC.name}"
  }
  evaluation_periods = 1
  metric_name        = "ApproximateNumberOfMessagesVisible"
  namespace          = "AWS/SQS"
  period             = 300
  statistic          = "Maximum"
  threshold          = 0
  treat_missing_data = "notBreaching"
}

resource "aws_iam_role" "snowflake_identity_role_252A1DFC" {
  assume_role_policy   = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"IrsaServiceAccount\",\"Effect\":\"Allow\",\"Principal\":{\"Federated\":\"${var.oidc_provider_arn}\"},\"Action\":\"sts:AssumeRoleWithWebIdentity\",\"Condition\":{\"StringEquals\":{\"${trimprefix(var.oidc_issuer, "https://")}:sub\":\"system:serviceaccount:${var.namespace}:${var.name}\",\"${trimprefix(var.oidc_issuer, "https://")}:aud\":\"sts.amazonaws.com\"}}}]}"
  description          = "Argo Events SQS event source ${var.namespace}/${var.name}: consume one queue."
  max_session_duration = 3600
  name                 = var.name
}

resource "aws_iam_role" "snowflake_snowflake_role_83EE57B4" {
  assume_role_policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"ExternalServiceUser\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"${snowflake_notification_integration.snowflake_integration_C09257EC.aws_sns_iam_user_arn}\"},\"Action\":\"sts:AssumeRole\",\"Condition\":{\"StringEquals\":{\"sts:ExternalId\":\"${snowflake_notification_integration.snowflake_integration_C09257EC.aws_sns_external_id}\"}}}]}"
  description        = "Snowflake integration MFB_${upper(replace(var.name, "-", "_"))}_QUEUE publishes to SNS."
  name               = "${var.name}-snowflake"
}

resource "aws_iam_role_policy" "snowflake_identity_policy_E3B0CBF9" {
  name   = "consume-queue"
  policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"ConsumeQueue\",\"Effect\":\"Allow\",\"Action\":[\"sqs:GetQueueUrl\",\"sqs:ReceiveMessage\",\"sqs:DeleteMessage\"],\"Resource\":\"${aws_sqs_queue.snowflake_queue_A6F46B58.arn}\"}]}"
  role   = aws_iam_role.snowflake_identity_role_252A1DFC.id
}

resource "aws_iam_role_policy" "snowflake_snowflake_policy_709563ED" {
  name   = "publish-to-topic"
  policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"PublishToTopic\",\"Effect\":\"Allow\",\"Action\":\"sns:Publish\",\"Resource\":\"${aws_sns_topic.snowflake_topic_EA23C92C.arn}\"}]}"
  role   = aws_iam_role.snowflake_snowflake_role_83EE57B4.id
}

resource "aws_sns_topic" "snowflake_topic_EA23C92C" {
  kms_master_key_id = "alias/aws/sns"
  name              = var.name
}

resource "aws_sns_topic_policy" "snowflake_topic_policy_78E18CA8" {
  arn    = aws_sns_topic.snowflake_topic_EA23C92C.arn
  policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"DenyInsecureTransport\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"sns:Publish\",\"Resource\":\"${aws_sns_topic.snowflake_topic_EA23C92C.arn}\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}},{\"Sid\":\"DenyOtherPublishers\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"sns:Publish\",\"Resource\":\"${aws_sns_topic.snowflake_topic_EA23C92C.arn}\",\"Condition\":{\"ArnNotEquals\":{\"aws:PrincipalArn\":\"${aws_iam_role.snowflake_snowflake_role_83EE57B4.arn}\"}}},{\"Sid\":\"AllowPublisherRole\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"${aws_iam_role.snowflake_snowflake_role_83EE57B4.arn}\"},\"Action\":\"sns:Publish\",\"Resource\":\"${aws_sns_topic.snowflake_topic_EA23C92C.arn}\"}]}"
}

resource "aws_sns_topic_subscription" "snowflake_subscription_85BB52B7" {
  depends_on           = [aws_sqs_queue_policy.snowflake_queue_policy_4B36316D]
  endpoint             = aws_sqs_queue.snowflake_queue_A6F46B58.arn
  protocol             = "sqs"
  raw_message_delivery = true
  topic_arn            = aws_sns_topic.snowflake_topic_EA23C92C.arn
}

resource "aws_sqs_queue" "snowflake_queue_A6F46B58" {
  message_retention_seconds  = 345600
  name                       = var.name
  sqs_managed_sse_enabled    = true
  visibility_timeout_seconds = 120
}

resource "aws_sqs_queue" "snowflake_queue_dlq_83C336CC" {
  message_retention_seconds = 1209600
  name                      = "${var.name}-dlq"
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue_policy" "snowflake_queue_dlq_policy_50161426" {
  policy    = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"DenyInsecureTransport\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"sqs:*\",\"Resource\":\"${aws_sqs_queue.snowflake_queue_dlq_83C336CC.arn}\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}"
  queue_url = aws_sqs_queue.snowflake_queue_dlq_83C336CC.url
}

resource "aws_sqs_queue_policy" "snowflake_queue_policy_4B36316D" {
  policy    = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"DenyInsecureTransport\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"sqs:*\",\"Resource\":\"${aws_sqs_queue.snowflake_queue_A6F46B58.arn}\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}},{\"Sid\":\"DenyReceiveExceptConsumers\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":[\"sqs:ReceiveMessage\",\"sqs:DeleteMessage\"],\"Resource\":\"${aws_sqs_queue.snowflake_queue_A6F46B58.arn}\",\"Condition\":{\"ArnNotEquals\":{\"aws:PrincipalArn\":[\"${aws_iam_role.snowflake_identity_role_252A1DFC.arn}\"]}}},{\"Sid\":\"AllowService0\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"sns.amazonaws.com\"},\"Action\":\"sqs:SendMessage\",\"Resource\":\"${aws_sqs_queue.snowflake_queue_A6F46B58.arn}\",\"Condition\":{\"ArnEquals\":{\"aws:SourceArn\":\"${aws_sns_topic.snowflake_topic_EA23C92C.arn}\"},\"StringEquals\":{\"aws:SourceAccount\":\"${data.aws_caller_identity.mfb_aws_context_account_B6B247A3.account_id}\"}}}]}"
  queue_url = aws_sqs_queue.snowflake_queue_A6F46B58.url
}

resource "aws_sqs_queue_redrive_allow_policy" "snowflake_queue_redrive_allow_0E4BC661" {
  queue_url            = aws_sqs_queue.snowflake_queue_dlq_83C336CC.url
  redrive_allow_policy = "{\"redrivePermission\": \"byQueue\", \"sourceQueueArns\": [\"${aws_sqs_queue.snowflake_queue_A6F46B58.arn}\"]}"
}

resource "aws_sqs_queue_redrive_policy" "snowflake_queue_redrive_EB2EEC8B" {
  queue_url      = aws_sqs_queue.snowflake_queue_A6F46B58.url
  redrive_policy = "{\"deadLetterTargetArn\": \"${aws_sqs_queue.snowflake_queue_dlq_83C336CC.arn}\", \"maxReceiveCount\": 5}"
}

resource "kubernetes_manifest" "snowflake_event_source_manifest_B1522B98" {
  computed_fields = [
    "metadata.annotations",
    "metadata.labels",
    "metadata.finalizers",
  ]
  depends_on = [kubernetes_service_account_v1.snowflake_identity_service_account_0B6438EE, aws_iam_role_policy.snowflake_identity_policy_E3B0CBF9, kubernetes_manifest.snowflake_sensor_manifest_B65E9A84]
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
      sqs = {
        metaflow-event = {
          dlq             = true
          endpoint        = ""
          jsonBody        = true
          queue           = "${var.name}"
          region          = "${data.aws_region.mfb_aws_context_region_B826D1B8.region}"
          waitTimeSeconds = 20
        }
      }
      template = {
        serviceAccountName = "${var.name}"
      }
    }
  }
}

resource "kubernetes_manifest" "snowflake_sensor_manifest_B65E9A84" {
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
                path = "metaflow.batch_id"
                type = "string"
                value = [
                  "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
                ]
              },
              {
                comparator = ">"
                path       = "metaflow.changes"
                type       = "number"
                value = [
                  "0",
                ]
              },
            ]
          }
          name = "source"
          transform = {
            jq = "def mfb_json_message: def mfb_parse: if type == \"string\" then (try fromjson catch null) else . end; mfb_parse | if type == \"object\" and .Type == \"Notification\" and (.Message | type) == \"string\" then (.Message | mfb_parse) else . end | if type == \"object\" and keys == [\"application/json\"] then (.[\"application/json\"] | mfb_parse) else . end | if type == \"object\" then . else null end; . as $e | ($e | (((((.body | mfb_json_message) | try getpath([\"window_end\"]) catch null) | if type == \"number\" then . else null end) | if . == null then null else floor end) // (now | floor))) as $ts | . + {\"metaflow\": ({ name: \"${var.event}\", id: ($e | (((.body | mfb_json_message) | try getpath([\"batch_id\"]) catch null) | if type == \"string\" then . else null end) | tostring), timestamp: $ts, utc_date: ($ts | strftime(\"%Y%m%d\")), \"database\": ($e | (((.body | mfb_json_message) | try getpath([\"database\"]) catch null) | if type == \"string\" then . else null end)), \"schema\": ($e | (((.body | mfb_json_message) | try getpath([\"schema\"]) catch null) | if type == \"string\" then . else null end)), \"table\": ($e | (((.body | mfb_json_message) | try getpath([\"table\"]) catch null) | if type == \"string\" then . else null end)), \"batch_id\": ($e | (((.body | mfb_json_message) | try getpath([\"batch_id\"]) catch null) | if type == \"string\" then . else null end)), \"inserted\": ($e | (((.body | mfb_json_message) | try getpath([\"summary\", \"inserted\"]) catch null) | if type == \"number\" then . else null end)), \"updated\": ($e | (((.body | mfb_json_message) | try getpath([\"summary\", \"updated\"]) catch null) | if type == \"number\" then . else null end)), \"deleted\": ($e | (((.body | mfb_json_message) | try getpath([\"summary\", \"deleted\"]) catch null) | if type == \"number\" then . else null end)), \"changes\": ($e | (((.body | mfb_json_message) | try getpath([\"summary\", \"changes\"]) catch null) | if type == \"number\" then . else null end)), \"window_start\": ($e | (((.body | mfb_json_message) | try getpath([\"window_start\"]) catch null) | (if type == \"number\" then (floor | todate) else null end))), \"window_end\": ($e | (((.body | mfb_json_message) | try getpath([\"window_end\"]) catch null) | (if type == \"number\" then (floor | todate) else null end))) } | with_entries(select(.value != null)))}"
          }
        },
      ]
      eventBusName = "${var.event_bus}"
      replicas     = 1
      template = {
        serviceAccountName = "mfb-snowflake-metaflow-bridge"
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
    name      = "mfb-snowflake-metaflow-bridge"
    namespace = var.namespace
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = "mfb-snowflake-metaflow-bridge"
  }
  subject {
    kind      = "ServiceAccount"
    name      = "mfb-snowflake-metaflow-bridge"
    namespace = var.namespace
  }
}

resource "kubernetes_role_v1" "metaflow_dead_letters_role_C41BECED" {
  metadata {
    labels = {
      "app.kubernetes.io/managed-by" = "metaflow-blueprints"
    }
    name      = "mfb-snowflake-metaflow-bridge"
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
    name      = "mfb-snowflake-metaflow-bridge"
    namespace = var.namespace
  }
}

resource "kubernetes_service_account_v1" "snowflake_identity_service_account_0B6438EE" {
  automount_service_account_token = true
  metadata {
    annotations = {
      "eks.amazonaws.com/role-arn" = "${aws_iam_role.snowflake_identity_role_252A1DFC.arn}"
    }
    labels = {
      "app.kubernetes.io/managed-by" = "metaflow-blueprints"
    }
    name      = var.name
    namespace = var.namespace
  }
}

resource "snowflake_notification_integration" "snowflake_integration_C09257EC" {
  aws_sns_role_arn      = "arn:${data.aws_partition.mfb_aws_context_partition_D0B4F12A.partition}:iam::${data.aws_caller_identity.mfb_aws_context_account_B6B247A3.account_id}:role/${var.name}-snowflake"
  aws_sns_topic_arn     = aws_sns_topic.snowflake_topic_EA23C92C.arn
  comment               = "metaflow-blueprints: changes of ${var.database}.${var.schema}.${var.table} -> SNS"
  direction             = "OUTBOUND"
  enabled               = true
  name                  = "MFB_${upper(replace(var.name, "-", "_"))}_QUEUE"
  notification_provider = "AWS_SNS"
  type                  = "QUEUE"
}

resource "snowflake_procedure_sql" "snowflake_procedure_09B3AE76" {
  comment    = "metaflow-blueprints: consume the stream, notify once per batch"
  database   = var.database
  depends_on = [snowflake_stream_on_table.snowflake_stream_DBD5637C, snowflake_notification_integration.snowflake_integration_C09257EC]
  execute_as = "OWNER"
  lifecycle {
    precondition {
      condition     = can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", var.database))
      error_message = "database is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case). (It is compiled into the generated SQL.)"
    }
    precondition {
      condition     = can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", var.schema))
      error_message = "schema is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case). (It is compiled into the generated SQL.)"
    }
    precondition {
      condition     = can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", var.table))
      error_message = "table is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case). (It is compiled into the generated SQL.)"
    }
    precondition {
      condition     = can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", var.warehouse))
      error_message = "warehouse is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case). (It is compiled into the generated SQL.)"
    }
    precondition {
      condition     = can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", "MFB_${upper(replace(var.name, "-", "_"))}_BATCHES"))
      error_message = "name is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case). (It is compiled into the generated SQL.)"
    }
  }
  name                 = "MFB_${upper(replace(var.name, "-", "_"))}_NOTIFY"
  procedure_definition = "-- Generated by metaflow-blueprints (SnowflakeToMetaflow).\nDECLARE\n  batch_id VARCHAR DEFAULT UUID_STRING();\n  window_end TIMESTAMP_LTZ DEFAULT CURRENT_TIMESTAMP();\n  consumed INTEGER DEFAULT 0;\n  sent INTEGER DEFAULT 0;\n  pending_id VARCHAR;\n  message VARCHAR;\nBEGIN\n  CREATE TABLE IF NOT EXISTS \"${var.database}\".\"${var.schema}\".\"MFB_${upper(replace(var.name, "-", "_"))}_BATCHES\" (\n    \"BATCH_ID\" VARCHAR NOT NULL,\n    \"WINDOW_START\" TIMESTAMP_LTZ,\n    \"WINDOW_END\" TIMESTAMP_LTZ NOT NULL,\n    \"INSERTED\" NUMBER NOT NULL,\n    \"UPDATED\" NUMBER NOT NULL,\n    \"DELETED\" NUMBER NOT NULL,\n    \"MESSAGE\" VARCHAR NOT NULL,\n    \"NOTIFIED_AT\" TIMESTAMP_LTZ\n  );\n  BEGIN TRANSACTION;\n  INSERT INTO \"${var.database}\".\"${var.schema}\".\"MFB_${upper(replace(var.name, "-", "_"))}_BATCHES\"\n    (\"BATCH_ID\", \"WINDOW_START\", \"WINDOW_END\", \"INSERTED\", \"UPDATED\", \"DELETED\", \"MESSAGE\")\n    WITH changes AS (\n        SELECT\n          COUNT_IF(METADATA$ACTION = 'INSERT' AND NOT METADATA$ISUPDATE) AS inserted,\n          COUNT_IF(METADATA$ACTION = 'INSERT' AND METADATA$ISUPDATE) AS updated,\n          COUNT_IF(METADATA$ACTION = 'DELETE' AND NOT METADATA$ISUPDATE) AS deleted\n        FROM \"${var.database}\".\"${var.schema}\".\"MFB_${upper(replace(var.name, "-", "_"))}_STREAM\"\n      ),\n      previous AS (\n        SELECT MAX(\"WINDOW_END\") AS window_start FROM \"${var.database}\".\"${var.schema}\".\"MFB_${upper(replace(var.name, "-", "_"))}_BATCHES\"\n      )\n    SELECT\n      :batch_id, p.window_start, :window_end, c.inserted, c.updated, c.deleted,\n      TO_JSON(OBJECT_CONSTRUCT_KEEP_NULL(\n        'source', 'snowflake',\n        'version', 1,\n        'batch_id', :batch_id,\n        'database', '${var.database}',\n        'schema', '${var.schema}',\n        'table', '${var.table}',\n        'window_start', DATE_PART(EPOCH_SECOND, p.window_start),\n        'window_end', DATE_PART(EPOCH_SECOND, :window_end),\n        'summary', OBJECT_CONSTRUCT_KEEP_NULL(\n          'inserted', c.inserted,\n          'updated', c.updated,\n          'deleted', c.deleted,\n          'changes', c.inserted + c.updated + c.deleted\n        )))\n    FROM changes c CROSS JOIN previous p\n    WHERE c.inserted + c.updated + c.deleted > 0;\n  consumed := SQLROWCOUNT;\n  COMMIT;\n  LET pending CURSOR FOR\n    SELECT \"BATCH_ID\" AS id, \"MESSAGE\" AS body FROM \"${var.database}\".\"${var.schema}\".\"MFB_${upper(replace(var.name, "-", "_"))}_BATCHES\"\n    WHERE \"NOTIFIED_AT\" IS NULL\n    ORDER BY \"WINDOW_END\", \"BATCH_ID\";\n  FOR record IN pending DO\n    pending_id := record.id;\n    message := record.body;\n    CALL SYSTEM$SEND_SNOWFLAKE_NOTIFICATION(\n      SNOWFLAKE.NOTIFICATION.APPLICATION_JSON(:message),\n      SNOWFLAKE.NOTIFICATION.INTEGRATION('MFB_${upper(replace(var.name, "-", "_"))}_QUEUE'));\n    UPDATE \"${var.database}\".\"${var.schema}\".\"MFB_${upper(replace(var.name, "-", "_"))}_BATCHES\" SET \"NOTIFIED_AT\" = CURRENT_TIMESTAMP()\n      WHERE \"BATCH_ID\" = :pending_id;\n    sent := sent + 1;\n  END FOR;\n  RETURN 'consumed ' || consumed || ' batch(es), sent ' || sent || ' notification(s)';\nEND;\n"
  return_type          = "VARCHAR"
  schema               = var.schema
}

resource "snowflake_stream_on_table" "snowflake_stream_DBD5637C" {
  append_only = "false"
  comment     = "metaflow-blueprints: changes of ${var.database}.${var.schema}.${var.table}"
  database    = var.database
  lifecycle {
    precondition {
      condition     = can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", var.database))
      error_message = "database is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case). (It is compiled into the generated SQL.)"
    }
    precondition {
      condition     = can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", var.schema))
      error_message = "schema is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case). (It is compiled into the generated SQL.)"
    }
    precondition {
      condition     = can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", var.table))
      error_message = "table is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case). (It is compiled into the generated SQL.)"
    }
    precondition {
      condition     = can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", var.warehouse))
      error_message = "warehouse is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case). (It is compiled into the generated SQL.)"
    }
    precondition {
      condition     = can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", "MFB_${upper(replace(var.name, "-", "_"))}_BATCHES"))
      error_message = "name is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case). (It is compiled into the generated SQL.)"
    }
  }
  name   = "MFB_${upper(replace(var.name, "-", "_"))}_STREAM"
  schema = var.schema
  table  = "\"${var.database}\".\"${var.schema}\".\"${var.table}\""
}

resource "snowflake_task" "snowflake_task_D4F275BB" {
  comment    = "metaflow-blueprints: notify Metaflow of changes of ${var.database}.${var.schema}.${var.table}"
  database   = var.database
  depends_on = [snowflake_procedure_sql.snowflake_procedure_09B3AE76, aws_iam_role_policy.snowflake_snowflake_policy_709563ED, aws_sns_topic_policy.snowflake_topic_policy_78E18CA8, aws_sns_topic_subscription.snowflake_subscription_85BB52B7]
  lifecycle {
    precondition {
      condition     = can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", var.database))
      error_message = "database is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case). (It is compiled into the generated SQL.)"
    }
    precondition {
      condition     = can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", var.schema))
      error_message = "schema is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case). (It is compiled into the generated SQL.)"
    }
    precondition {
      condition     = can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", var.table))
      error_message = "table is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case). (It is compiled into the generated SQL.)"
    }
    precondition {
      condition     = can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", var.warehouse))
      error_message = "warehouse is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case). (It is compiled into the generated SQL.)"
    }
    precondition {
      condition     = can(regex("^[A-Za-z_][A-Za-z0-9_$]{0,254}$", "MFB_${upper(replace(var.name, "-", "_"))}_BATCHES"))
      error_message = "name is not a supported Snowflake identifier: 1-255 letters, digits, '_' or '$', starting with a letter or '_', as Snowflake stores it (unquoted names are upper-case). (It is compiled into the generated SQL.)"
    }
  }
  name          = "MFB_${upper(replace(var.name, "-", "_"))}_TASK"
  schema        = var.schema
  sql_statement = "CALL \"${var.database}\".\"${var.schema}\".\"MFB_${upper(replace(var.name, "-", "_"))}_NOTIFY\"()"
  started       = true
  warehouse     = var.warehouse
  when          = "SYSTEM$STREAM_HAS_DATA('\"${var.database}\".\"${var.schema}\".\"MFB_${upper(replace(var.name, "-", "_"))}_STREAM\"')"
}

output "event_source_name" {
  description = "Name of the EventSource."
  value       = var.name
}

output "sensor_name" {
  description = "Name of the bridge Sensor."
  value       = "mfb--${var.name}"
}

output "queue_arn" {
  description = "ARN of the SQS queue the EventSource reads."
  value       = aws_sqs_queue.snowflake_queue_A6F46B58.arn
}

output "queue_url" {
  description = "URL of the SQS queue."
  value       = aws_sqs_queue.snowflake_queue_A6F46B58.url
}

output "dead_letter_queue_arn" {
  description = "ARN of the queue's dead-letter queue."
  value       = aws_sqs_queue.snowflake_queue_dlq_83C336CC.arn
}

output "role_arn" {
  description = "ARN of the IAM role the EventSource's service account assumes (IRSA)."
  value       = aws_iam_role.snowflake_identity_role_252A1DFC.arn
}

output "topic_arn" {
  description = "ARN of the SNS topic Snowflake publishes to."
  value       = aws_sns_topic.snowflake_topic_EA23C92C.arn
}

output "snowflake_role_arn" {
  description = "ARN of the IAM role Snowflake assumes to publish."
  value       = aws_iam_role.snowflake_snowflake_role_83EE57B4.arn
}

output "integration_name" {
  description = "Name of the Snowflake notification integration."
  value       = snowflake_notification_integration.snowflake_integration_C09257EC.name
}

output "task_name" {
  description = "Name of the Snowflake triggered task."
  value       = snowflake_task.snowflake_task_D4F275BB.name
}

data "aws_caller_identity" "mfb_aws_context_account_B6B247A3" {
}

data "aws_partition" "mfb_aws_context_partition_D0B4F12A" {
}

data "aws_region" "mfb_aws_context_region_B826D1B8" {
}
