"""GCP cloud constructs: Pub/Sub subscriptions with dead-lettering, Workload Identity."""
