// The live server of the dataset end-to-end tests: startTestServer with dataset settings and extra API keys in the
// config, plus counts of the stored rows (to prove failed uploads leave nothing behind).
import type { ApiKeyEntry } from '../../server/auth/api-keys.ts';
import { mintSessionToken } from '../../server/auth/session-token.ts';
import type { DatasetsConfig } from '../../server/config/schema.ts';
import { withDatasetsConfig } from './config-text.ts';
import { startTestServer, TEST_SECRET, type TestServer } from './server.ts';

export interface DatasetsTestServer extends TestServer {
  /** a session token (userContext { organisationId }) for the demo agent or another */
  token(
    userIdentifier: string,
    organisationId: number,
    options?: { permissions?: string[]; agentId?: string; ttl?: string | number },
  ): string;
  /** rows in parley_dataset_blobs (the default database storage) */
  blobRows(): Promise<number>;
  fileRows(): Promise<number>;
}

export interface DatasetsTestServerOptions {
  settings?: DatasetsConfig;
  /** more API keys (e.g. one scoped to another agent) */
  apiKeys?: ApiKeyEntry[];
  /** a transform of parley.config.yaml's text (e.g. another agent) */
  configText?: (text: string) => string;
}

export async function startDatasetsTestServer(
  options: DatasetsTestServerOptions = {},
): Promise<DatasetsTestServer> {
  const server = await startTestServer({
    configText: (text) =>
      withDatasetsConfig(
        options.configText ? options.configText(text) : text,
        options.settings,
        options.apiKeys,
      ),
  });
  const count = async (table: string): Promise<number> =>
    Number(((await server.store.db(table).count({ n: '*' }).first()) as { n: number | string }).n);
  return {
    ...server,
    token: (userIdentifier, organisationId, opts = {}) =>
      mintSessionToken({
        userIdentifier,
        userContext: { organisationId },
        agentId: opts.agentId ?? 'demo',
        ttl: opts.ttl ?? '15m',
        permissions: opts.permissions,
        secret: TEST_SECRET,
      }),
    blobRows: () => count('parley_dataset_blobs'),
    fileRows: () => count('parley_dataset_files'),
  };
}
