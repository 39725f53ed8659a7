import { readFile } from 'node:fs/promises';
import { Agent } from 'node:https';
import { KMSClient, type KMSClientConfig } from '@aws-sdk/client-kms';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { TestNode } from './test-node.js';

/** A user of the KMS-compatible API: its /v1 session and password, and its access key. */
export interface KmsUser {
  readonly username: string;
  readonly password: string;
  readonly token: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly client: KMSClient;
}

export const TEST_REGION = 'eu-west-1';

/** The AWS SDK's KMS client configuration for the test node: its endpoint, CA, and the dev client certificate. */
export async function kmsClientConfig(
  t: TestNode,
  credentials: { accessKeyId: string; secretAccessKey: string },
): Promise<KMSClientConfig> {
  const httpsAgent = new Agent({
    ca: await readFile(t.dir.caCert),
    cert: await readFile(t.init.clientCert!),
    key: await readFile(t.init.clientKey!),
    minVersion: 'TLSv1.3',
  });
  return {
    endpoint: t.node.url,
    credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey },
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({ httpsAgent }),
  };
}

/** The AWS SDK's KMS client, pointed at the test node. */
export async function kmsClient(
  t: TestNode,
  credentials: { accessKeyId: string; secretAccessKey: string },
  region = TEST_REGION,
  extra: Partial<KMSClientConfig> = {},
): Promise<KMSClient> {
  return new KMSClient({ ...(await kmsClientConfig(t, credentials)), region, ...extra });
}

/** Creates an access key for a logged-in user (its password confirms it) and returns it. */
export async function createAccessKey(
  t: TestNode,
  token: string,
  password: string,
): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const created = await t.api.call<{ accessKeyId: string; secretAccessKey: string }>('POST', '/v1/access-keys', {
    token,
    body: { password },
  });
  if (created.status !== 201) throw new Error(`create-access-key: ${created.text}`);
  return { accessKeyId: created.body.accessKeyId, secretAccessKey: created.body.secretAccessKey };
}

/** A new crypto user with an access key and a KMS client signing with it. */
export async function kmsCryptoUser(t: TestNode, username: string): Promise<KmsUser> {
  const { token, password } = await t.cryptoUser(username);
  const key = await createAccessKey(t, token, password);
  return { username, password, token, ...key, client: await kmsClient(t, key) };
}

/** The admin, with an access key of its own. */
export async function kmsAdmin(t: TestNode): Promise<KmsUser> {
  const token = await t.api.login('admin', t.adminPassword);
  const key = await createAccessKey(t, token, t.adminPassword);
  return { username: 'admin', password: t.adminPassword, token, ...key, client: await kmsClient(t, key) };
}

/** The exception name of a rejected SDK call. */
export async function kmsError(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    return (error as { name?: string }).name ?? String(error);
  }
  return 'no error';
}
