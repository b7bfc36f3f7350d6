import { afterAll, beforeAll, describe } from 'vitest';
import { postgresUnavailable, startPostgres, type RunningPostgres } from '../../../test/support/postgres.js';
import { PostgresMetadataStore } from '../../storage/metadata/postgres/index.js';
import { rootInode, runLockStateSuite, type LockStateBackend } from './testing/lock-state-suite.js';

// Throws under DFS_REQUIRE_E2E=1 when PostgreSQL is missing; otherwise the reason to skip.
const unavailable = postgresUnavailable();

describe.skipIf(unavailable !== undefined)(
  `lock state on PostgreSQL${unavailable === undefined ? '' : ` (skipped: ${unavailable})`}`,
  () => {
    let server: RunningPostgres | undefined;
    let shares = 0;
    beforeAll(async () => {
      server = await startPostgres();
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
    });

    /** Each test gets its own share namespace; a restart is a new store (a new server) on it. */
    function postgresBackend(): LockStateBackend {
      const share = `locks-${++shares}`;
      let s: PostgresMetadataStore | undefined;
      const open = async (): Promise<PostgresMetadataStore> => {
        s = new PostgresMetadataStore({ connectionString: server!.url, share, poolSize: 2 });
        await s.open({ rootInode });
        return s;
      };
      return {
        name: 'postgres',
        setup: async () => {
          await open();
        },
        store: () => Promise.resolve(s!),
        restart: async () => {
          await s!.close();
          return open();
        },
        teardown: async () => {
          await s?.close();
        },
      };
    }

    runLockStateSuite('postgres', postgresBackend);
  },
);
