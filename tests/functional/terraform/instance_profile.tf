# Added to main.tf's configuration by test_terraform.py only when the server
# under test answers iam:CreateInstanceProfile.

resource "aws_iam_instance_profile" "deploy" {
  name = "${var.prefix}-deploy"
  path = local.path
  role = aws_iam_role.deploy.name
  tags = {
    purpose = "deploy"
  }
}

output "instance_profile_arn" {
  value = aws_iam_instance_profile.deploy.arn
}
