"""AWS Organizations: the organization, its roots, OUs, accounts and policies
(SCPs and RCPs), served over the JSON 1.1 protocol (api/json_protocol.py)."""
