# The rest of the common IAM resources, beside main.tf: federation (OIDC and
# SAML providers), account-wide settings (password policy, alias), a
# service-linked role, every kind of user credential (console password, SSH
# key, signing certificate, virtual MFA device, service-specific credential),
# a server certificate, and the remaining ways to attach policies and members.
#
# Keys, certificates and SAML metadata are made by test_terraform.py at test
# time and handed over in terraform.tfvars.json; nothing here is a fixture file.

variable "ssh_public_key" {
  type        = string
  description = "an OpenSSH public key line (ssh-rsa ...)"
}

variable "signing_certificate" {
  type        = string
  description = "a self-signed X.509 certificate, PEM"
}

variable "server_certificate" {
  type        = string
  description = "a self-signed X.509 certificate for a TLS server, PEM"
}

variable "server_private_key" {
  type        = string
  sensitive   = true
  description = "the server certificate's private key, PEM"
}

variable "saml_metadata" {
  type        = string
  description = "an IdP's SAML 2.0 metadata naming a signing certificate"
}

# --- account-wide settings -------------------------------------------------

resource "aws_iam_account_password_policy" "strict" {
  minimum_password_length        = 14
  require_lowercase_characters   = true
  require_uppercase_characters   = true
  require_numbers                = true
  require_symbols                = true
  allow_users_to_change_password = true
  max_password_age               = 90
  password_reuse_prevention      = 5
  hard_expiry                    = false
}

resource "aws_iam_account_alias" "this" {
  account_alias = var.prefix
}

# --- federation --------------------------------------------------------------

resource "aws_iam_openid_connect_provider" "ci" {
  url             = "https://${var.prefix}.oidc.example.com"
  client_id_list  = ["sts.amazonaws.com", "${var.prefix}-client"]
  thumbprint_list = ["9e99a48a9960b14926bb7f3b02e22da2b0ab7280", "a031c46782e6e6c662c2c87c76da9aa62ccabd8e"]
  tags = {
    issuer = "ci"
  }
}

resource "aws_iam_saml_provider" "corporate" {
  name                   = "${var.prefix}-corporate"
  saml_metadata_document = var.saml_metadata
  tags = {
    idp = "corporate"
  }
}

# --- a service-linked role -------------------------------------------------

resource "aws_iam_service_linked_role" "autoscaling" {
  aws_service_name = "autoscaling.amazonaws.com"
  custom_suffix    = var.prefix
  description      = "Lets Auto Scaling act for the ${var.prefix} groups"
  tags = {
    service = "autoscaling"
  }
}

# --- a user with a boundary, force_destroy and every kind of credential -----

resource "aws_iam_policy" "contractor_boundary" {
  name        = "${var.prefix}-contractor-boundary"
  path        = local.path
  description = "The most a contractor may ever do"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid      = "ReadAndSelfService"
      Effect   = "Allow"
      Action   = ["iam:Get*", "iam:List*", "iam:ChangePassword", "codecommit:*"]
      Resource = "*"
    }]
  })
  tags = {
    owner = "security"
    kind  = "boundary"
  }
}

resource "aws_iam_user" "contractor" {
  name                 = "${var.prefix}-contractor"
  path                 = local.path
  permissions_boundary = aws_iam_policy.contractor_boundary.arn
  force_destroy        = true
  tags = {
    employment = "contract"
  }
}

resource "aws_iam_user_login_profile" "contractor" {
  user                    = aws_iam_user.contractor.name
  password_reset_required = true
  # The generated password must meet the account's policy when it is set.
  depends_on = [aws_iam_account_password_policy.strict]
}

resource "aws_iam_user_ssh_key" "contractor" {
  username   = aws_iam_user.contractor.name
  encoding   = "SSH"
  public_key = var.ssh_public_key
}

resource "aws_iam_signing_certificate" "contractor" {
  user_name        = aws_iam_user.contractor.name
  certificate_body = var.signing_certificate
}

resource "aws_iam_service_specific_credential" "contractor" {
  user_name    = aws_iam_user.contractor.name
  service_name = "codecommit.amazonaws.com"
}

resource "aws_iam_virtual_mfa_device" "contractor" {
  virtual_mfa_device_name = "${var.prefix}-contractor"
  path                    = local.path
  tags = {
    holder = "contractor"
  }
}

resource "aws_iam_user_policy_attachment" "contractor_change_password" {
  user       = aws_iam_user.contractor.name
  policy_arn = "arn:aws:iam::aws:policy/IAMUserChangePassword"
}

# --- a server certificate --------------------------------------------------

resource "aws_iam_server_certificate" "web" {
  name             = "${var.prefix}-web"
  path             = "/cloudfront/${var.prefix}/"
  certificate_body = var.server_certificate
  private_key      = var.server_private_key
  tags = {
    site = "web"
  }
}

# --- groups: exclusive membership, an inline policy -------------------------

resource "aws_iam_group" "auditors" {
  name = "${var.prefix}-auditors"
  path = local.path
}

resource "aws_iam_group_membership" "auditors" {
  name  = "${var.prefix}-auditors-membership"
  group = aws_iam_group.auditors.name
  users = [aws_iam_user.developer.name, aws_iam_user.contractor.name]
}

resource "aws_iam_group_policy" "auditors_read_reports" {
  name  = "read-credential-reports"
  group = aws_iam_group.auditors.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["iam:GenerateCredentialReport", "iam:GetCredentialReport"]
      Resource = "*"
    }]
  })
}

# --- a policy attached exclusively to a user, a group and a role ------------

resource "aws_iam_policy" "audit_logs" {
  name        = "${var.prefix}-audit-logs"
  path        = "${local.path}audit/"
  description = "Read the audit trail"
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect   = "Allow"
      Action   = ["cloudtrail:LookupEvents", "logs:GetLogEvents"]
      Resource = "*"
      Condition = {
        Bool = { "aws:SecureTransport" = "true" }
      }
    }]
  })
  tags = {
    owner = "security"
    data  = "audit"
  }
}

resource "aws_iam_policy_attachment" "audit_logs" {
  name       = "${var.prefix}-audit-logs"
  policy_arn = aws_iam_policy.audit_logs.arn
  users      = [aws_iam_user.contractor.name]
  groups     = [aws_iam_group.auditors.name]
  roles      = [aws_iam_role.deploy.name]
}

output "oidc_provider_arn" {
  value = aws_iam_openid_connect_provider.ci.arn
}

output "saml_provider_arn" {
  value = aws_iam_saml_provider.corporate.arn
}

output "service_linked_role_name" {
  value = aws_iam_service_linked_role.autoscaling.name
}

output "contractor_password" {
  value     = aws_iam_user_login_profile.contractor.password
  sensitive = true
}

output "ssh_key_id" {
  value = aws_iam_user_ssh_key.contractor.ssh_public_key_id
}

output "signing_certificate_id" {
  value = aws_iam_signing_certificate.contractor.certificate_id
}

output "service_credential_id" {
  value = aws_iam_service_specific_credential.contractor.service_specific_credential_id
}

output "mfa_device_arn" {
  value = aws_iam_virtual_mfa_device.contractor.arn
}

output "server_certificate_arn" {
  value = aws_iam_server_certificate.web.arn
}

output "audit_policy_arn" {
  value = aws_iam_policy.audit_logs.arn
}
