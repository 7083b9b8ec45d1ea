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
  description = "Stem of the queue, pipe, IAM roles, EventSource and Sensor names; unique per namespace. At most 42 characters (the bridge sensor is `mfb--<name>`)."
  validation {
    condition     = var.name == null || (can(regex("^[a-z]([a-z0-9-]{0,45}[a-z0-9])?$", var.name)) && try(length(var.name), 0) <= 42)
    error_message = "name must be 1-42 characters: lower-case letters, digits and '-', starting with a letter and ending with a letter or digit."
  }
}

variable "event" {
  type        = string
  description = "Metaflow event name, e.g. `\"orders.created\"`."
  validation {
    condition     = var.event == null || (can(regex("^[A-Za-z0-9_.-]+$", var.event)))
    error_message = "event is not a valid Metaflow event name: use letters, digits, '_', '.' and '-' (e.g. 'data.updated')."
  }
}

variable "table_name" {
  type        = string
  description = "an existing table with streams enabled."
  validation {
    condition     = var.table_name == null || (can(regex("^[A-Za-z0-9_.-]{3,255}$", var.table_name)))
    error_message = "table_name is not a DynamoDB table name: 3-255 letters, digits, '_', '-' or '.' (the name, not the ARN)."
  }
}

variable "stream_arn" {
  type        = string
  description = "The table's stream ARN (`stream_arn` of `aws_dynamodb_table`; the stream must be enabled)."
  validation {
    condition     = var.stream_arn == null || (can(regex(":dynamodb:", var.stream_arn)))
    error_message = "stream_arn is not a DynamoDB stream ARN (arn:aws:dynamodb:<region>:<account>:table/<T>/stream/<S>)."
  }
  validation {
    condition     = var.stream_arn == null || (can(regex("/stream/", var.stream_arn)))
    error_message = "stream_arn is not a DynamoDB stream ARN (arn:aws:dynamodb:<region>:<account>:table/<T>/stream/<S>)."
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

resource "aws_cloudwatch_metric_alarm" "dynamodb_queue_dlq_alarm_6CBDB5A8" {
  alarm_actions       = var.dead_letter_alarm_actions
  alarm_description   = "Messages in the dead-letter queue ${var.name}-dlq: events that failed 5 receives from ${var.name}. Inspect and redrive them."
  alarm_name          = "${var.name}-dlq-messages"
  comparison_operator = "GreaterThanThreshold"
  count               = var.dead_letter_alarm ? 1 : 0
  dimensions = {
    QueueName = "${aws_sqs_queue.dynamodb_queue_dlq_D625270A.name}"
  }
  evaluation_periods = 1
  metric_name        = "ApproximateNumberOfMessagesVisible"
  namespace          = "AWS/SQS"
  period             = 300
  statistic          = "Maximum"
  threshold          = 0
  treat_missing_data = "notBreaching"
}

resource "aws_iam_role" "dynamodb_identity_role_3D2F52C3" {
  assume_role_policy   = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"IrsaServiceAccount\",\"Effect\":\"Allow\",\"Principal\":{\"Federated\":\"${var.oidc_provider_arn}\"},\"Action\":\"sts:AssumeRoleWithWebIdentity\",\"Condition\":{\"StringEquals\":{\"${trimprefix(var.oidc_issuer, "https://")}:sub\":\"system:serviceaccount:${var.namespace}:${var.name}\",\"${trimprefix(var.oidc_issuer, "https://")}:aud\":\"sts.amazonaws.com\"}}}]}"
  description          = "Argo Events SQS event source ${var.namespace}/${var.name}: consume one queue."
  max_session_duration = 3600
  name                 = var.name
}

resource "aws_iam_role" "dynamodb_pipe_role_BAB3BC5B" {
  assume_role_policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"EventBridgePipe\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"pipes.amazonaws.com\"},\"Action\":\"sts:AssumeRole\",\"Condition\":{\"StringEquals\":{\"aws:SourceArn\":\"arn:${data.aws_partition.mfb_aws_context_partition_D0B4F12A.partition}:pipes:${data.aws_region.mfb_aws_context_region_B826D1B8.region}:${data.aws_caller_identity.mfb_aws_context_account_B6B247A3.account_id}:pipe/${var.name}\",\"aws:SourceAccount\":\"${data.aws_caller_identity.mfb_aws_context_account_B6B247A3.account_id}\"}}}]}"
  description        = "EventBridge pipe ${var.name}: DynamoDB stream -> SQS."
  name               = "${var.name}-pipe"
}

resource "aws_iam_role_policy" "dynamodb_identity_policy_AE977146" {
  name   = "consume-queue"
  policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"ConsumeQueue\",\"Effect\":\"Allow\",\"Action\":[\"sqs:GetQueueUrl\",\"sqs:ReceiveMessage\",\"sqs:DeleteMessage\"],\"Resource\":\"${aws_sqs_queue.dynamodb_queue_B08FDB88.arn}\"}]}"
  role   = aws_iam_role.dynamodb_identity_role_3D2F52C3.id
}

resource "aws_iam_role_policy" "dynamodb_pipe_policy_40BA0BEF" {
  name   = "stream-to-queue"
  policy = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"ReadStream\",\"Effect\":\"Allow\",\"Action\":[\"dynamodb:DescribeStream\",\"dynamodb:GetRecords\",\"dynamodb:GetShardIterator\"],\"Resource\":\"${var.stream_arn}\"},{\"Sid\":\"ListStreams\",\"Effect\":\"Allow\",\"Action\":\"dynamodb:ListStreams\",\"Resource\":\"*\"},{\"Sid\":\"SendToQueue\",\"Effect\":\"Allow\",\"Action\":\"sqs:SendMessage\",\"Resource\":[\"${aws_sqs_queue.dynamodb_queue_B08FDB88.arn}\",\"${aws_sqs_queue.dynamodb_queue_dlq_D625270A.arn}\"]}]}"
  role   = aws_iam_role.dynamodb_pipe_role_BAB3BC5B.id
}

resource "aws_pipes_pipe" "dynamodb_pipe_B0708582" {
  depends_on    = [aws_iam_role_policy.dynamodb_pipe_policy_40BA0BEF, aws_sqs_queue_policy.dynamodb_queue_policy_9713BB68]
  description   = "DynamoDB ${var.table_name} INSERT -> SQS (Metaflow event ${var.event})"
  desired_state = "RUNNING"
  name          = var.name
  role_arn      = aws_iam_role.dynamodb_pipe_role_BAB3BC5B.arn
  source        = var.stream_arn
  source_parameters {
    dynamodb_stream_parameters {
      batch_size = 10
      dead_letter_config {
        arn = aws_sqs_queue.dynamodb_queue_dlq_D625270A.arn
      }
      maximum_record_age_in_seconds = 3600
      maximum_retry_attempts        = 10
      starting_position             = "LATEST"
    }
    filter_criteria {
      filter {
        pattern = "{\"eventName\": [\"INSERT\"]}"
      }
    }
  }
  target = aws_sqs_queue.dynamodb_queue_B08FDB88.arn
}

resource "aws_sqs_queue" "dynamodb_queue_B08FDB88" {
  message_retention_seconds  = 345600
  name                       = var.name
  sqs_managed_sse_enabled    = true
  visibility_timeout_seconds = 120
}

resource "aws_sqs_queue" "dynamodb_queue_dlq_D625270A" {
  message_retention_seconds = 1209600
  name                      = "${var.name}-dlq"
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue_policy" "dynamodb_queue_dlq_policy_0556EB0B" {
  policy    = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"DenyInsecureTransport\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"sqs:*\",\"Resource\":\"${aws_sqs_queue.dynamodb_queue_dlq_D625270A.arn}\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}}]}"
  queue_url = aws_sqs_queue.dynamodb_queue_dlq_D625270A.url
}

resource "aws_sqs_queue_policy" "dynamodb_queue_policy_9713BB68" {
  policy    = "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"DenyInsecureTransport\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":\"sqs:*\",\"Resource\":\"${aws_sqs_queue.dynamodb_queue_B08FDB88.arn}\",\"Condition\":{\"Bool\":{\"aws:SecureTransport\":\"false\"}}},{\"Sid\":\"DenyReceiveExceptConsumers\",\"Effect\":\"Deny\",\"Principal\":\"*\",\"Action\":[\"sqs:ReceiveMessage\",\"sqs:DeleteMessage\"],\"Resource\":\"${aws_sqs_queue.dynamodb_queue_B08FDB88.arn}\",\"Condition\":{\"ArnNotEquals\":{\"aws:PrincipalArn\":[\"${aws_iam_role.dynamodb_identity_role_3D2F52C3.arn}\"]}}},{\"Sid\":\"AllowRole0\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"${aws_iam_role.dynamodb_pipe_role_BAB3BC5B.arn}\"},\"Action\":\"sqs:SendMessage\",\"Resource\":\"${aws_sqs_queue.dynamodb_queue_B08FDB88.arn}\"}]}"
  queue_url = aws_sqs_queue.dynamodb_queue_B08FDB88.url
}

resource "aws_sqs_queue_redrive_allow_policy" "dynamodb_queue_redrive_allow_A1EB4481" {
  queue_url            = aws_sqs_queue.dynamodb_queue_dlq_D625270A.url
  redrive_allow_policy = "{\"redrivePermission\": \"byQueue\", \"sourceQueueArns\": [\"${aws_sqs_queue.dynamodb_queue_B08FDB88.arn}\"]}"
}

resource "aws_sqs_queue_redrive_policy" "dynamodb_queue_redrive_D3E6F127" {
  queue_url      = aws_sqs_queue.dynamodb_queue_B08FDB88.url
  redrive_policy = "{\"deadLetterTargetArn\": \"${aws_sqs_queue.dynamodb_queue_dlq_D625270A.arn}\", \"maxReceiveCount\": 5}"
}

resource "kubernetes_manifest" "dynamodb_event_source_manifest_96F15091" {
  computed_fields = [
    "metadata.annotations",
    "metadata.labels",
    "metadata.finalizers",
  ]
  depends_on = [kubernetes_service_account_v1.dynamodb_identity_service_account_5F1B463A, aws_iam_role_policy.dynamodb_identity_policy_AE977146, kubernetes_manifest.dynamodb_sensor_manifest_C31874AF]
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

resource "kubernetes_manifest" "dynamodb_sensor_manifest_C31874AF" {
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
                path = "body.eventSource"
                type = "string"
                value = [
                  "^aws:dynamodb$",
                ]
              },
              {
                path = "body.eventName"
                type = "string"
                value = [
                  "^INSERT$",
                ]
              },
            ]
            exprs = [
              {
                expr = "true == true"
                fields = [
                  {
                    name = "field"
                    path = "body.eventName"
                  },
                ]
              },
              {
                expr = "true == true"
                fields = [
                  {
                    name = "field"
                    path = "body.eventID"
                  },
                ]
              },
              {
                expr = "table == '${var.table_name}'"
                fields = [
                  {
                    name = "table"
                    path = "metaflow.table"
                  },
                ]
              },
            ]
          }
          name = "source"
          transform = {
            jq = ". as $e | ($e | ((try (((try getpath([\"body\", \"dynamodb\", \"ApproximateCreationDateTime\"]) catch null) as $v | if $v == null then null else $v end) | floor) catch null) // (now | floor))) as $ts | . + {\"metaflow\": ({ name: \"${var.event}\", id: ($e | (try getpath([\"body\", \"eventID\"]) catch null) | tostring), timestamp: $ts, utc_date: ($ts | strftime(\"%Y%m%d\")), \"table\": ($e | ((try (((try getpath([\"body\", \"eventSourceARN\"]) catch null) as $v | if $v == null then null else $v end) | split(\"/\")[1]) catch null) // ${jsonencode(var.table_name)})), \"event_name\": ($e | (try getpath([\"body\", \"eventName\"]) catch null)), \"sequence_number\": ($e | ((try getpath([\"body\", \"dynamodb\", \"SequenceNumber\"]) catch null) as $v | if $v == null then null else $v end)), \"approximate_creation_time\": ($e | (try (((try getpath([\"body\", \"dynamodb\", \"ApproximateCreationDateTime\"]) catch null) as $v | if $v == null then null else $v end) | floor | todate) catch null)) } | with_entries(select(.value != null)))}"
          }
        },
      ]
      eventBusName = "${var.event_bus}"
      replicas     = 1
      template = {
        serviceAccountName = "mfb-dynamodb-metaflow-bridge"
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
    name      = "mfb-dynamodb-metaflow-bridge"
    namespace = var.namespace
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "Role"
    name      = "mfb-dynamodb-metaflow-bridge"
  }
  subject {
    kind      = "ServiceAccount"
    name      = "mfb-dynamodb-metaflow-bridge"
    namespace = var.namespace
  }
}

resource "kubernetes_role_v1" "metaflow_dead_letters_role_C41BECED" {
  metadata {
    labels = {
      "app.kubernetes.io/managed-by" = "metaflow-blueprints"
    }
    name      = "mfb-dynamodb-metaflow-bridge"
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

resource "kubernetes_service_account_v1" "dynamodb_identity_service_account_5F1B463A" {
  automount_service_account_token = true
  metadata {
    annotations = {
      "eks.amazonaws.com/role-arn" = "${aws_iam_role.dynamodb_identity_role_3D2F52C3.arn}"
    }
    labels = {
      "app.kubernetes.io/managed-by" = "metaflow-blueprints"
    }
    name      = var.name
    namespace = var.namespace
  }
}

resource "kubernetes_service_account_v1" "metaflow_dead_letters_account_service_account_573288BB" {
  automount_service_account_token = true
  metadata {
    labels = {
      "app.kubernetes.io/managed-by" = "metaflow-blueprints"
    }
    name      = "mfb-dynamodb-metaflow-bridge"
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
  value       = aws_sqs_queue.dynamodb_queue_B08FDB88.arn
}

output "queue_url" {
  description = "URL of the SQS queue."
  value       = aws_sqs_queue.dynamodb_queue_B08FDB88.url
}

output "dead_letter_queue_arn" {
  description = "ARN of the queue's dead-letter queue."
  value       = aws_sqs_queue.dynamodb_queue_dlq_D625270A.arn
}

output "role_arn" {
  description = "ARN of the IAM role the EventSource's service account assumes (IRSA)."
  value       = aws_iam_role.dynamodb_identity_role_3D2F52C3.arn
}

output "pipe_arn" {
  description = "ARN of the EventBridge pipe."
  value       = aws_pipes_pipe.dynamodb_pipe_B0708582.arn
}

output "pipe_role_arn" {
  description = "ARN of the pipe's IAM role."
  value       = aws_iam_role.dynamodb_pipe_role_BAB3BC5B.arn
}

data "aws_caller_identity" "mfb_aws_context_account_B6B247A3" {
}

data "aws_partition" "mfb_aws_context_partition_D0B4F12A" {
}

data "aws_region" "mfb_aws_context_region_B826D1B8" {
}
