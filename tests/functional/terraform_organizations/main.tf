# AWS Organizations through Terraform's AWS provider against iamd: the
# organization with SCPs and RCPs enabled, an OU, an account created in it,
# an SCP and its attachment. The caller's account becomes the management account.

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }
}

variable "endpoint" {
  type = string
}

variable "prefix" {
  type = string
}

provider "aws" {
  region                      = "us-east-1"
  skip_metadata_api_check     = true
  skip_region_validation      = true
  skip_credentials_validation = false
  skip_requesting_account_id  = false

  endpoints {
    iam           = var.endpoint
    sts           = var.endpoint
    organizations = var.endpoint
  }
}

resource "aws_organizations_organization" "org" {
  feature_set          = "ALL"
  enabled_policy_types = ["SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"]
}

resource "aws_organizations_organizational_unit" "workloads" {
  name      = "${var.prefix}-workloads"
  parent_id = aws_organizations_organization.org.roots[0].id
  tags = {
    team = "platform"
  }
}

resource "aws_organizations_account" "dev" {
  name      = "${var.prefix}-dev"
  email     = "${var.prefix}-dev@example.com"
  parent_id = aws_organizations_organizational_unit.workloads.id
  tags = {
    stage = "dev"
  }
}

resource "aws_organizations_policy" "deny_leaving" {
  name        = "${var.prefix}-deny-leaving"
  description = "Member accounts stay in the organization"
  type        = "SERVICE_CONTROL_POLICY"
  content = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Deny"
      Action   = "organizations:LeaveOrganization"
      Resource = "*"
    }]
  })
  tags = {
    guardrail = "membership"
  }
  # A policy of a type is created once the organization has the type enabled.
  depends_on = [aws_organizations_organization.org]
}

resource "aws_organizations_policy_attachment" "deny_leaving" {
  policy_id = aws_organizations_policy.deny_leaving.id
  target_id = aws_organizations_organizational_unit.workloads.id
}

output "organization_id" {
  value = aws_organizations_organization.org.id
}

output "root_id" {
  value = aws_organizations_organization.org.roots[0].id
}

output "unit_id" {
  value = aws_organizations_organizational_unit.workloads.id
}

output "account_id" {
  value = aws_organizations_account.dev.id
}

output "policy_id" {
  value = aws_organizations_policy.deny_leaving.id
}
