"""The audit trail: CloudTrail-shaped events of every call, decision and sign-in.

`shapes` compiles, once per operation, how its parameters and result become
requestParameters and responseElements (with secrets hidden); `record`
builds one event; `trail` writes events (a write's in its own transaction,
the others in batches) and streams them as JSON Lines; `signin` records
console sign-ins; `lookup` is CloudTrail's LookupEvents.
"""
