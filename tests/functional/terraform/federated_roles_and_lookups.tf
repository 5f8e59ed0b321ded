# Roles that the OIDC and SAML providers of account_and_credentials.tf may
# assume, the *_exclusive resources that own a principal's whole set of
# inline policies or attachments, the account's STS token preference, and the
# IAM data sources, each read back through outputs the test compares with
# boto3. Data sources depend on what they read, so that they are read after it
# exists and read the same again in the plan that must show no changes.

resource "aws_iam_role" "ci" {
  name                 = "${var.prefix}-ci"
  path                 = local.path
  description          = "Assumed by the CI system's OIDC tokens for main (café, naïve: Latin-1 survives)"
  max_session_duration = 3600
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = aws_iam_openid_connect_provider.ci.arn }
      Condition = {
        StringEquals = {
          "${var.prefix}.oidc.example.com:aud" = "sts.amazonaws.com"
        }
        StringLike = {
          "${var.prefix}.oidc.example.com:sub" = ["repo:example/*:ref:refs/heads/main"]
        }
      }
    }]
  })
  tags = {
    Federation       = "oidc"
    branch           = "main"
    "ci:scope/owner" = "build + release = team@example.com"
  }
}

resource "aws_iam_role" "sso" {
  name = "${var.prefix}-sso-admin"
  path = local.path
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = ["sts:AssumeRoleWithSAML", "sts:TagSession"]
      Principal = { Federated = aws_iam_saml_provider.corporate.arn }
      Condition = {
        StringEquals = { "SAML:aud" = "https://signin.aws.amazon.com/saml" }
      }
    }]
  })
}

resource "aws_iam_role_policy" "ci_push" {
  name = "push+images=tags,v1@ci" # characters a form body must encode
  role = aws_iam_role.ci.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "Push"
      Effect   = "Allow"
      Action   = ["ecr:PutImage", "ecr:UploadLayerPart"]
      Resource = "arn:aws:ecr:us-east-1:${data.aws_caller_identity.current.account_id}:repository/${var.prefix}/*"
      Condition = {
        StringLike = { "aws:RequestTag/team" = ["platform+ops", "a&b=c", "50% off", "café"] }
      }
    }]
  })
}

resource "aws_iam_role_policies_exclusive" "ci" {
  role_name    = aws_iam_role.ci.name
  policy_names = [aws_iam_role_policy.ci_push.name]
}

resource "aws_iam_role_policy_attachment" "sso_admin" {
  role       = aws_iam_role.sso.name
  policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
}

resource "aws_iam_role_policy_attachments_exclusive" "sso" {
  role_name   = aws_iam_role.sso.name
  policy_arns = [aws_iam_role_policy_attachment.sso_admin.policy_arn]
}

resource "aws_iam_user_policies_exclusive" "contractor" {
  user_name    = aws_iam_user.contractor.name
  policy_names = []
}

resource "aws_iam_user_policy_attachments_exclusive" "contractor" {
  user_name = aws_iam_user.contractor.name
  policy_arns = [
    aws_iam_user_policy_attachment.contractor_change_password.policy_arn,
    aws_iam_policy.audit_logs.arn,
  ]
  depends_on = [aws_iam_policy_attachment.audit_logs]
}

resource "aws_iam_group_policies_exclusive" "auditors" {
  group_name   = aws_iam_group.auditors.name
  policy_names = [aws_iam_group_policy.auditors_read_reports.name]
}

resource "aws_iam_group_policy_attachments_exclusive" "auditors" {
  group_name  = aws_iam_group.auditors.name
  policy_arns = [aws_iam_policy.audit_logs.arn]
  depends_on  = [aws_iam_policy_attachment.audit_logs]
}

resource "aws_iam_security_token_service_preferences" "this" {
  global_endpoint_token_version = "v2Token"
}

# --- data sources ------------------------------------------------------------

data "aws_iam_account_alias" "current" {
  depends_on = [aws_iam_account_alias.this]
}

data "aws_iam_user" "contractor" {
  user_name = aws_iam_user.contractor.name
}

data "aws_iam_users" "under_prefix" {
  path_prefix = local.path
  depends_on  = [aws_iam_user.developer, aws_iam_user.contractor]
}

data "aws_iam_group" "auditors" {
  group_name = aws_iam_group.auditors.name
  depends_on = [aws_iam_group_membership.auditors]
}

data "aws_iam_role" "ci" {
  name = aws_iam_role.ci.name
}

data "aws_iam_roles" "federated" {
  path_prefix = local.path
  name_regex  = "-(ci|sso-admin)$"
  depends_on  = [aws_iam_role.ci, aws_iam_role.sso]
}

data "aws_iam_policy" "audit_logs" {
  name        = aws_iam_policy.audit_logs.name
  path_prefix = "${local.path}audit/"
}

data "aws_iam_openid_connect_provider" "ci" {
  # By ARN: the resource's url reads back without https:// (GetOpenIDConnectProvider
  # answers it so, in AWS too), which this data source's url argument refuses.
  arn = aws_iam_openid_connect_provider.ci.arn
}

data "aws_iam_saml_provider" "corporate" {
  arn = aws_iam_saml_provider.corporate.arn
}

data "aws_iam_server_certificate" "web" {
  name_prefix = "${var.prefix}-w"
  path_prefix = "/cloudfront/"
  latest      = true
  depends_on  = [aws_iam_server_certificate.web]
}

data "aws_iam_user_ssh_key" "contractor" {
  username          = aws_iam_user.contractor.name
  ssh_public_key_id = aws_iam_user_ssh_key.contractor.ssh_public_key_id
  encoding          = "SSH"
}

data "aws_iam_access_keys" "developer" {
  user       = aws_iam_user.developer.name
  depends_on = [aws_iam_access_key.developer]
}

data "aws_iam_session_context" "ci" {
  arn = "arn:aws:sts::${data.aws_caller_identity.current.account_id}:assumed-role/${aws_iam_role.ci.name}/build-42"
}

data "aws_iam_principal_policy_simulation" "deploy_may_write_artifacts" {
  action_names      = ["s3:PutObject"]
  policy_source_arn = aws_iam_role.deploy.arn
  resource_arns     = ["arn:aws:s3:::${var.prefix}-artifacts/build/1.zip"]
  depends_on        = [aws_iam_role_policy.deploy_inline]
}

data "aws_iam_principal_policy_simulation" "contractor_may_not_create_users" {
  action_names      = ["iam:CreateUser", "iam:GetAccountPasswordPolicy"]
  policy_source_arn = aws_iam_user.contractor.arn
  depends_on        = [aws_iam_user_policy_attachment.contractor_change_password]
}

output "lookups" {
  value = {
    account_alias         = data.aws_iam_account_alias.current.account_alias
    contractor_boundary   = data.aws_iam_user.contractor.permissions_boundary
    contractor_tags       = data.aws_iam_user.contractor.tags
    users_under_prefix    = sort(data.aws_iam_users.under_prefix.names)
    auditors              = sort(data.aws_iam_group.auditors.users[*].user_name)
    ci_role_arn           = data.aws_iam_role.ci.arn
    ci_role_tags          = data.aws_iam_role.ci.tags
    ci_role_session       = data.aws_iam_role.ci.max_session_duration
    federated_roles       = sort(data.aws_iam_roles.federated.names)
    audit_policy_arn      = data.aws_iam_policy.audit_logs.arn
    audit_policy_document = jsondecode(data.aws_iam_policy.audit_logs.policy)
    oidc_client_ids       = sort(data.aws_iam_openid_connect_provider.ci.client_id_list)
    oidc_tags             = data.aws_iam_openid_connect_provider.ci.tags
    saml_provider_name    = data.aws_iam_saml_provider.corporate.name
    server_certificate    = data.aws_iam_server_certificate.web.arn
    ssh_key_fingerprint   = data.aws_iam_user_ssh_key.contractor.fingerprint
    developer_keys        = data.aws_iam_access_keys.developer.access_keys[*].access_key_id
    session_issuer        = data.aws_iam_session_context.ci.issuer_arn
    session_name          = data.aws_iam_session_context.ci.session_name
    deploy_may_write      = data.aws_iam_principal_policy_simulation.deploy_may_write_artifacts.all_allowed
    contractor_decisions = {
      for result in data.aws_iam_principal_policy_simulation.contractor_may_not_create_users.results :
      result.action_name => result.decision
    }
  }
}
