# Terraform's AWS provider against iamd: the provider is configured as a user
# would configure it for any AWS-compatible endpoint, and it DOES validate the
# credentials and look up the account through sts:GetCallerIdentity on iamd.
# Credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY.

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
  type        = string
  description = "iamd's URL, used for both IAM and STS"
}

variable "prefix" {
  type        = string
  description = "makes every name unique on a server shared by the whole test session"
}

provider "aws" {
  region                      = "us-east-1"
  skip_metadata_api_check     = true
  skip_region_validation      = true
  skip_credentials_validation = false
  skip_requesting_account_id  = false

  endpoints {
    iam = var.endpoint
    sts = var.endpoint
  }
}

data "aws_caller_identity" "current" {}

locals {
  path = "/${var.prefix}/"
}

resource "aws_iam_user" "developer" {
  name = "${var.prefix}-developer"
  path = local.path
  tags = {
    team        = "platform"
    cost-center = "1234"
  }
}

resource "aws_iam_group" "developers" {
  name = "${var.prefix}-developers"
  path = local.path
}

resource "aws_iam_user_group_membership" "developer" {
  user   = aws_iam_user.developer.name
  groups = [aws_iam_group.developers.name]
}

data "aws_iam_policy_document" "read_own_keys" {
  statement {
    sid       = "ReadOwnKeys"
    effect    = "Allow"
    actions   = ["iam:ListAccessKeys", "iam:GetUser"]
    resources = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:user/$${aws:username}"]
  }
}

resource "aws_iam_policy" "read_own_keys" {
  name        = "${var.prefix}-read-own-keys"
  path        = local.path
  description = "Lets a developer read their own user and access keys"
  policy      = data.aws_iam_policy_document.read_own_keys.json
  tags = {
    owner = "security"
  }
}

resource "aws_iam_group_policy_attachment" "developers_read_own_keys" {
  group      = aws_iam_group.developers.name
  policy_arn = aws_iam_policy.read_own_keys.arn
}

resource "aws_iam_user_policy" "developer_inline" {
  name = "list-roles"
  user = aws_iam_user.developer.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["iam:ListRoles"]
      Resource = "*"
    }]
  })
}

resource "aws_iam_access_key" "developer" {
  user = aws_iam_user.developer.name
}

resource "aws_iam_policy" "boundary" {
  name        = "${var.prefix}-boundary"
  description = "Caps what the deploy role may ever do"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["iam:Get*", "iam:List*", "s3:*"]
      Resource = "*"
    }]
  })
}

resource "aws_iam_role" "deploy" {
  name                 = "${var.prefix}-deploy"
  path                 = local.path
  description          = "Assumed by the account's developers to deploy"
  max_session_duration = 7200
  permissions_boundary = aws_iam_policy.boundary.arn
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "AccountMayAssume"
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { AWS = "arn:aws:iam::${data.aws_caller_identity.current.account_id}:root" }
    }]
  })
  tags = {
    purpose = "deploy"
  }
}

resource "aws_iam_role_policy" "deploy_inline" {
  name = "write-artifacts"
  role = aws_iam_role.deploy.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["s3:PutObject"]
      Resource = "arn:aws:s3:::${var.prefix}-artifacts/*"
    }]
  })
}

resource "aws_iam_role_policy_attachment" "deploy_read_only" {
  role       = aws_iam_role.deploy.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

output "account_id" {
  value = data.aws_caller_identity.current.account_id
}

output "caller_arn" {
  value = data.aws_caller_identity.current.arn
}

output "user_arn" {
  value = aws_iam_user.developer.arn
}

output "role_arn" {
  value = aws_iam_role.deploy.arn
}

output "policy_arn" {
  value = aws_iam_policy.read_own_keys.arn
}

output "access_key_id" {
  value = aws_iam_access_key.developer.id
}
