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
  }
}

variable "name" {
  type        = string
  description = "Stem of the queue, IAM role, EventBridge rule, EventSource and Sensor names; unique per namespace. At most 42 characters (the bridge sensor is `mfb--<name>`)."
  validation {
    condition     = var.name == null || (can(regex("^[a-z]([a-z0-9-]{0,45}[a-z0-9])?$", var.name)) && try(length(var.name), 0) <= 42)
    error_message = "name must be 1-42 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit."
  }
}

variable "event" {
  type        = string
  description = "Metaflow event name, e.g. `\"s3.object.created\"`."
  validation {
    condition     = var.event == null || (can(regex("^[A-Za-z0-9_.-]+$", var.event)))
    error_message = "event is not a valid Metaflow event name: use letters, digits, '_', '.' and '-' (e.g. 'data.updated')."
  }
}

variable "bucket_name" {
  type        = string
  description = "an existing bucket (name, not ARN)."
  validation {
    condition     = var.bucket_name == null || (can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name)))
    error_message = "bucket_name is not a valid S3 bucket name: 3-63 lower-case letters, digits, '.' and '-' (the name, not an ARN or s3:// URL)."
  }
  validation {
    condition     = var.bucket_name == null || (can(regex("^[^.]*(\\.[^.]+)*\\.?$", var.bucket_name)))
    error_message = "bucket_name must not contain '..' (not a valid S3 bucket name)."
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

variable "prefix" {
  type        = string
  description = "Only keys starting with this prefix (EventBridge rule). Default `\"\"`: every key."
  default     = ""
  nullable    = false
  validation {
    condition     = var.prefix == null || (can(regex("^[^*\\x22\\x5c\\x00-\\x1f]*$", var.prefix)))
    error_message = "prefix must not contain '*', '\"', '\\' or control characters (they would change the EventBridge pattern)."
  }
}

variable "suffix" {
  type        = string
  description = "Only keys ending with this suffix (EventBridge rule). Default `\"\"`: every key."
  default     = ""
  nullable    = false
  validation {
    condition     = var.suffix == null || (can(regex("^[^*\\x22\\x5c\\x00-\\x1f]*$", var.suffix)))
    error_message = "suffix must not contain '*', '\"', '\\' or control characters (they would change the EventBridge pattern)."
  }
}

variable "enable_bucket_eventbridge" {
  type        = bool
  description = "Create the bucket's `aws_s3_bucket_notification` with `eventbridge = true`. It owns the bucket's whole notification configuration (other queue, topic or Lambda notifications are removed) and destroying it turns EventBridge off: set `false` when EventBridge is already enabled on the bucket or another module instance on the same bucket manages it."
  default     = true
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

resource "aws_cloudwatch_event_rule" "s3_rule_F15DF8A9" {
  description   = "S3 ${var.bucket_name} s3:ObjectCreated:* -> SQS (Metaflow event ${var.event})"
  event_pattern = "{\"source\": [\"aws.s3\"], \"detail-type\": [\"Object Created\"], \"detail\": {\"bucket\": {\"name\": [\"${var.bucket_name}\"]}, \"object\": {\"key\": [{\"wildcard\": \"${var.prefix}*${var.suffix}\"}]}}}"
  name          = var.name
}

resource "aws_cloudwatch_event_target" "s3_target_7375A7A9" {
  arn        = aws_sqs_queue.s3_queue_D0789BCD.arn
  depends_on = [aws_sqs_queue_policy.s3_queue_policy_C61D02C6]
  rule       = aws_cloudwatch_event_rule.s3_rule_F15DF8A9.name
  target_id  = "sqs"
}

resource "aws_cloudwatch_metric_alarm" "s3_queue_dlq_alarm_4BF5B3D6" {
  alarm_actions       = var.dead_letter_alarm_actions
  alarm_description   = "Messages in the dead-letter queue ${var.name}-dlq: events that failed 5 receives from ${var.name}. Inspect and redrive them."
  alarm_name          = "${var.name}-dlq-messages"
  comparison_operator = "GreaterThanThreshold"
  count               = var.dead_letter_alarm ? 1 : 0
  dimensions = {
    QueueName = "${aws_sqs_queue.s3_queue_dlq_F01C4DF8.name}"
  }
  evaluation_periods = 1
  metric_name        = "ApproximateNumberOfMessagesVisible"
  namespace          = "AWS/SQS"
  period             = 300
  statistic          = "Maximum"
  threshold          = 0
  treat_missing_data = "notBreaching"
}

resource "aws_iam_role" "s3_identity_role_2F651903" {
  assume_role_policy   = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"IrsaServiceAccount\",\"Effect\":\"Allow\",\"Principal\":{\"Federated\":\"${var.oidc_provider_arn}\"},\"Action\":\"sts:AssumeRoleWithWebIdentity\",\"Condition\":{\"StringEquals\":{\"${trimprefix(var.oidc_issuer, "https://")}:sub\":\"system:serviceaccount:${var.namespace}:${var.name}\",\"${trimprefix(var.oidc_issuer, "https://")}:aud\":\"sts.amazonaws.com\"}}}]}"
  description          = "Argo Events SQS event source ${var.namespace}/${var.name}: consume one queue."
  max_session_duration = 3600
  name                 = var.name
}

resource "aws_iam_role_policy" "s3_identity_policy_2289E855" {
  name   = "consume-queue"
  policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"ConsumeQueue\",\"Effect\":\"Allow\",\"Action\":[\"sqs:GetQueueUrl\",\"sqs:ReceiveMessage\",\"sqs:DeleteMessage\"],\"Resource\":\"${aws_sqs_queue.s3_queue_D0789BCD.arn}\"}]}"
  role   = aws_iam_role.s3_identity_role_2F651903.id
}

resource "aws_s3_bucket_notification" "bucket_eventbridge" {
  bucket      = var.bucket_name
  count       = var.enable_bucket_eventbridge ? 1 : 0
  eventbridge = true
}

resource "aws_sqs_queue" "s3_queue_D0789BCD" {
  message_retention_seconds  = 345600
  name                       = var.name
  sqs_managed_sse_enabled    = true
  visibility_timeout_seconds = 120
}

resource "aws_sqs_queue" "s3_queue_dlq_F01C4DF8" {
  message_retention_seconds = 1209600
  name                      = "${var.name}-dlq"
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue_policy" "s3_queue_dlq_policy_B109DE20" {
  policy    = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"DenyInsecureTransport\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"sqs:*\",\"Resource\":\"${aws_sqs_queue.s3_queue_dlq_F01C4DF8.arn}\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}"
  queue_url = aws_sqs_queue.s3_queue_dlq_F01C4DF8.url
}

resource "aws_sqs_queue_policy" "s3_queue_policy_C61D02C6" {
  policy    = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"DenyInsecureTransport\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"sqs:*\",\"Resource\":\"${aws_sqs_queue.s3_queue_D0789BCD.arn}\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}},{\"Sid\":\"DenyReceiveExceptConsumers\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":[\"sqs:ReceiveMessage\",\"sqs:DeleteMessage\"],\"Resource\":\"${aws_sqs_queue.s3_queue_D0789BCD.arn}\",\"Condition\":{\"ArnNotEquals\":{\"aws:PrincipalArn\":[\"${aws_iam_role.s3_identity_role_2F651903.arn}\"]}}},{\"Sid\":\"AllowService0\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"events.amazonaws.com\"},\"Action\":\"sqs:SendMessage\",\"Resource\":\"${aws_sqs_queue.s3_queue_D0789BCD.arn}\",\"Condition\":{\"ArnEquals\":{\"aws:SourceArn\":\"${aws_cloudwatch_event_rule.s3_rule_F15DF8A9.arn}\"},\"StringEquals\":{\"aws:SourceAccount\":\"${data.aws_caller_identity.mfb_aws_context_account_B6B247A3.account_id}\"}}}]}"
  queue_url = aws_sqs_queue.s3_queue_D0789BCD.url
}

resource "aws_sqs_queue_redrive_allow_policy" "s3_queue_redrive_allow_429B4024" {
  queue_url            = aws_sqs_queue.s3_queue_dlq_F01C4DF8.url
  redrive_allow_policy = "{\"redrivePermission\": \"byQueue\", \"sourceQueueArns\": [\"${aws_sqs_queue.s3_queue_D0789BCD.arn}\"]}"
}

resource "aws_sqs_queue_redrive_policy" "s3_queue_redrive_BA6D62CB" {
  queue_url      = aws_sqs_queue.s3_queue_D0789BCD.url
  redrive_policy = "{\"deadLetterTargetArn\": \"${aws_sqs_queue.s3_queue_dlq_F01C4DF8.arn}\", \"maxReceiveCount\": 5}"
}

resource "kubernetes_manifest" "s3_event_source_manifest_0EB3C0F5" {
  computed_fields = [
    "metadata.annotations",
    "metadata.labels",
    "metadata.finalizers",
  ]
  depends_on = [kubernetes_service_account_v1.s3_identity_service_account_DAF1222C, aws_iam_role_policy.s3_identity_policy_2289E855, kubernetes_manifest.s3_sensor_manifest_44CBB298]
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

resource "kubernetes_manifest" "s3_sensor_manifest_44CBB298" {
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
                path = "body.source"
                type = "string"
                value = [
                  "^aws[.]s3$",
                ]
              },
              {
                path = "body.detail-type"
                type = "string"
                value = [
                  "^Object Created$",
                ]
              },
            ]
            exprs = [
              {
                expr = "true == true"
                fields = [
                  {
                    name = "field"
                    path = "body.detail.bucket.name"
                  },
                ]
              },
              {
                expr = "true == true"
                fields = [
                  {
                    name = "field"
                    path = "body.detail.object.key"
                  },
                ]
              },
              {
                expr = "true == true"
                fields = [
                  {
                    name = "field"
                    path = "body.detail-type"
                  },
                ]
              },
              {
                expr = "true == true"
                fields = [
                  {
                    name = "field"
                    path = "body.time"
                  },
                ]
              },
              {
                expr = "bucket == '${var.bucket_name}'"
                fields = [
                  {
                    name = "bucket"
                    path = "metaflow.bucket"
                  },
                ]
              },
            ]
          }
          name = "source"
          transform = {
            jq = "def mfb_epoch: sub(\"[.][0-9]+\"; \"\") | sub(\"[+]00:00$\"; \"Z\") | fromdateiso8601; . as $e | ($e | ((try ((try getpath([\"body\", \"time\"]) catch null) | mfb_epoch) catch null) // (now | floor))) as $ts | . + {\"metaflow\": ({ name: \"${var.event}\", id: ($e | (\"s3://\" + (try getpath([\"body\", \"detail\", \"bucket\", \"name\"]) catch null) + \"/\" + (try getpath([\"body\", \"detail\", \"object\", \"key\"]) catch null) + \"#\" + ((((try getpath([\"body\", \"detail\", \"object\", \"sequencer\"]) catch null) as $v | if $v == null then null else $v end)) // \"\" | tostring)) | tostring), timestamp: $ts, utc_date: ($ts | strftime(\"%Y%m%d\")), \"bucket\": ($e | (try getpath([\"body\", \"detail\", \"bucket\", \"name\"]) catch null)), \"key\": ($e | (try getpath([\"body\", \"detail\", \"object\", \"key\"]) catch null)), \"size\": ($e | ((try getpath([\"body\", \"detail\", \"object\", \"size\"]) catch null) as $v | if $v == null then null else $v end)), \"etag\": ($e | ((try getpath([\"body\", \"detail\", \"object\", \"etag\"]) catch null) as $v | if $v == null then null else $v end)), \"version_id\": ($e | ((try getpath([\"body\", \"detail\", \"object\", \"version-id\"]) catch null) as $v | if $v == null then null else $v end)), \"sequencer\": ($e | ((try getpath([\"body\", \"detail\", \"object\", \"sequencer\"]) catch null) as $v | if $v == null then null else $v end)), \"event_name\": ($e | (try getpath([\"body\", \"detail-type\"]) catch null)), \"event_time\": ($e | (try getpath([\"body\", \"time\"]) catch null)), \"region\": ($e | ((try getpath([\"body\", \"region\"]) catch null) as $v | if $v == null then null else $v end)) } | with_entries(select(.value != null)))}"
          }
        },
      ]
      eventBusName = "${var.event_bus}"
      replicas     = 1
      template = {
        serviceAccountName = "mfb-s3-metaflow-bridge"
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
    name      = "mfb-s3-metaflow-bridge"
    namespace = var.namespace
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = "mfb-s3-metaflow-bridge"
  }
  subject {
    kind      = "ServiceAccount"
    name      = "mfb-s3-metaflow-bridge"
    namespace = var.namespace
  }
}

resource "kubernetes_role_v1" "metaflow_dead_letters_role_C41BECED" {
  metadata {
    labels = {
      "app.kubernetes.io/managed-by" = "metaflow-blueprints"
    }
    name      = "mfb-s3-metaflow-bridge"
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
    name      = "mfb-s3-metaflow-bridge"
    namespace = var.namespace
  }
}

resource "kubernetes_service_account_v1" "s3_identity_service_account_DAF1222C" {
  automount_service_account_token = true
  metadata {
    annotations = {
      "eks.amazonaws.com/role-arn" = "${aws_iam_role.s3_identity_role_2F651903.arn}"
    }
    labels = {
      "app.kubernetes.io/managed-by" = "metaflow-blueprints"
    }
    name      = var.name
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

output "queue_arn" {
  description = "ARN of the SQS queue the EventSource reads."
  value       = aws_sqs_queue.s3_queue_D0789BCD.arn
}

output "queue_url" {
  description = "URL of the SQS queue."
  value       = aws_sqs_queue.s3_queue_D0789BCD.url
}

output "dead_letter_queue_arn" {
  description = "ARN of the queue's dead-letter queue."
  value       = aws_sqs_queue.s3_queue_dlq_F01C4DF8.arn
}

output "role_arn" {
  description = "ARN of the IAM role the EventSource's service account assumes (IRSA)."
  value       = aws_iam_role.s3_identity_role_2F651903.arn
}

output "rule_arn" {
  description = "ARN of the EventBridge rule."
  value       = aws_cloudwatch_event_rule.s3_rule_F15DF8A9.arn
}

data "aws_caller_identity" "mfb_aws_context_account_B6B247A3" {
}

data "aws_partition" "mfb_aws_context_partition_D0B4F12A" {
}

data "aws_region" "mfb_aws_context_region_B826D1B8" {
}
