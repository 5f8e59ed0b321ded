"""iamd: a self-hosted, AWS-compatible IAM and STS service."""
