"""AWS constructs: event queues, consumer identity, S3 notification aggregation, policies.

This layer knows the cdktf seam and AWS, not Argo or Metaflow.
"""
