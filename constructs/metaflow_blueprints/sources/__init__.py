"""Source machinery the blueprints share: bridge planning, SQS and Pub/Sub consumers,
vendor webhooks (shared options, vendor-side registration)."""
