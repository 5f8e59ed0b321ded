// The AWS SDK for JavaScript v3 against iamd, as an application would use it:
// the admin's credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY
// through the SDK's default provider chain, only the endpoint is iamd's.
//
// Environment (set by test_javascript_sdk.py):
//   IAMD_JS_SDK_DIR      folder where @aws-sdk/client-iam and client-sts are installed
//   IAMD_ENDPOINT        iamd's URL
//   IAMD_PREFIX          makes names unique on a shared server
//   IAMD_ROLE_ARN        a role whose trust policy names the account
//   IAMD_RESTRICTED_KEY_ID, IAMD_RESTRICTED_SECRET   keys of a user without policies
//
// Prints one JSON object with what each step saw; exits 1 (message on stderr)
// on an unexpected error, after deleting what it created.

import { createRequire } from "node:module";
import { join } from "node:path";

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

// The SDK lives in a cache folder outside the repository, so resolve it from there.
const sdkRequire = createRequire(join(env("IAMD_JS_SDK_DIR"), "package.json"));
const iamSdk = sdkRequire("@aws-sdk/client-iam");
const stsSdk = sdkRequire("@aws-sdk/client-sts");
const {
  IAMClient, CreateUserCommand, GetUserCommand, DeleteUserCommand, paginateListUsers,
  TagUserCommand, ListUserTagsCommand, CreateAccessKeyCommand, DeleteAccessKeyCommand,
  ListUsersCommand,
} = iamSdk;
const { STSClient, GetCallerIdentityCommand, AssumeRoleCommand } = stsSdk;

const endpoint = env("IAMD_ENDPOINT");
const prefix = env("IAMD_PREFIX");
const region = "us-east-1";
const config = (credentials) => ({ region, endpoint, maxAttempts: 1, ...(credentials ? { credentials } : {}) });

const iam = new IAMClient(config());
const sts = new STSClient(config());

const describeError = (error) => ({
  name: error.name,
  message: error.message,
  code: error.Code ?? null,
  fault: error.$fault ?? null,
  status: error.$metadata?.httpStatusCode ?? null,
  type: error.Type ?? null,
  requestId: error.$metadata?.requestId ?? null,
});

const expectError = async (promise) => {
  try {
    await promise;
  } catch (error) {
    if (error.$metadata === undefined) throw error; // not an answer from the service
    return describeError(error);
  }
  throw new Error("the call succeeded but an error was expected");
};

const path = `/${prefix}/`;
const userNames = [`${prefix}-a`, `${prefix}-b`, `${prefix}-c`];
const created = { users: [], keys: [] };
const result = { sdk: { iam: sdkRequire("@aws-sdk/client-iam/package.json").version,
                        sts: sdkRequire("@aws-sdk/client-sts/package.json").version } };

async function story() {
  const identity = await sts.send(new GetCallerIdentityCommand({}));
  result.callerIdentity = { account: identity.Account, arn: identity.Arn, userId: identity.UserId };

  for (const name of userNames) {
    const { User } = await iam.send(new CreateUserCommand({
      UserName: name, Path: path, Tags: [{ Key: "made-by", Value: "js-sdk" }],
    }));
    created.users.push(name);
    if (name === userNames[0]) {
      result.createdUser = { name: User.UserName, arn: User.Arn, path: User.Path, id: User.UserId,
                             createDateIsDate: User.CreateDate instanceof Date };
    }
  }

  const pages = [];
  for await (const page of paginateListUsers({ client: iam, pageSize: 2 }, { PathPrefix: path })) {
    pages.push({ users: page.Users.map((user) => user.UserName), isTruncated: page.IsTruncated ?? false,
                 hasMarker: page.Marker !== undefined });
  }
  result.listPages = pages;

  const first = userNames[0];
  await iam.send(new TagUserCommand({ UserName: first, Tags: [{ Key: "team", Value: "web" }] }));
  const tags = await iam.send(new ListUserTagsCommand({ UserName: first }));
  result.tags = tags.Tags.map((tag) => [tag.Key, tag.Value]).sort();

  const { AccessKey } = await iam.send(new CreateAccessKeyCommand({ UserName: first }));
  created.keys.push([first, AccessKey.AccessKeyId]);
  result.accessKey = { id: AccessKey.AccessKeyId, secretLength: AccessKey.SecretAccessKey.length,
                       status: AccessKey.Status, userName: AccessKey.UserName };
  const own = new STSClient(config({ accessKeyId: AccessKey.AccessKeyId,
                                     secretAccessKey: AccessKey.SecretAccessKey }));
  result.newKeyIdentity = (await own.send(new GetCallerIdentityCommand({}))).Arn;

  const assumed = await sts.send(new AssumeRoleCommand({
    RoleArn: env("IAMD_ROLE_ARN"), RoleSessionName: "js-sdk-session", DurationSeconds: 900,
  }));
  const { Credentials, AssumedRoleUser } = assumed;
  result.assumeRole = {
    assumedRoleArn: AssumedRoleUser.Arn,
    assumedRoleId: AssumedRoleUser.AssumedRoleId,
    accessKeyId: Credentials.AccessKeyId,
    hasSessionToken: Boolean(Credentials.SessionToken),
    expirationIsDate: Credentials.Expiration instanceof Date,
    secondsLeft: Math.round((Credentials.Expiration.getTime() - Date.now()) / 1000),
  };
  const session = new STSClient(config({
    accessKeyId: Credentials.AccessKeyId, secretAccessKey: Credentials.SecretAccessKey,
    sessionToken: Credentials.SessionToken,
  }));
  const sessionIdentity = await session.send(new GetCallerIdentityCommand({}));
  result.sessionIdentity = { account: sessionIdentity.Account, arn: sessionIdentity.Arn,
                             userId: sessionIdentity.UserId };

  const restricted = new IAMClient(config({ accessKeyId: env("IAMD_RESTRICTED_KEY_ID"),
                                            secretAccessKey: env("IAMD_RESTRICTED_SECRET") }));
  result.accessDenied = {
    listUsers: await expectError(restricted.send(new ListUsersCommand({}))),
    getSelf: await expectError(restricted.send(new GetUserCommand({}))),
  };
}

async function cleanUp() {
  for (const [userName, keyId] of created.keys) {
    await iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: keyId }));
  }
  for (const name of created.users) {
    await iam.send(new DeleteUserCommand({ UserName: name }));
  }
  result.deleted = created.users;
  result.afterDelete = await expectError(iam.send(new GetUserCommand({ UserName: userNames[0] })));
}

let failure = null;
try {
  await story();
} catch (error) {
  failure = error;
}
try {
  await cleanUp();
} catch (error) {
  failure ??= error;
}
if (failure) {
  console.error(failure.stack ?? String(failure));
  console.error(JSON.stringify({ partialResult: result, error: failure.$metadata ? describeError(failure) : null }));
  process.exit(1);
}
console.log(JSON.stringify(result));
