// knex migrations of the store database, kept in code so they run the same from source, tests and the CLI.
import type { Knex } from 'knex';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/**
 * The binary collation that also keeps trailing spaces significant (NO PAD): MariaDB's utf8mb4_nopad_bin, MySQL 8's
 * utf8mb4_0900_bin; plain utf8mb4_bin (PAD SPACE: 'a ' = 'a') only where neither exists. A fixed name from this
 * list, never input, so it may sit in the DDL text.
 */
async function exactCollation(knex: Knex): Promise<string> {
  const [rows] = (await knex.raw(
    "SHOW COLLATION WHERE Collation IN ('utf8mb4_nopad_bin', 'utf8mb4_0900_bin')",
  )) as [Array<{ Collation: string }>];
  const names = new Set(rows.map((r) => r.Collation));
  for (const name of ['utf8mb4_nopad_bin', 'utf8mb4_0900_bin']) if (names.has(name)) return name;
  return 'utf8mb4_bin';
}

const migrations: Record<string, Migration> = {
  '001_conversations': {
    async up(knex) {
      await knex.schema.createTable('parley_conversations', (t) => {
        t.string('id', 36).primary();
        t.string('agent_id', 64).notNullable();
        t.string('user_identifier', 256).notNullable();
        t.text('user_context').notNullable();
        // sha-256 of the canonical userContext: equality in SQL without comparing JSON text
        t.string('context_hash', 64).notNullable();
        t.string('title', 200).notNullable().defaultTo('');
        t.string('created_at', 30).notNullable();
        t.string('updated_at', 30).notNullable();
        t.index(['agent_id', 'user_identifier', 'context_hash', 'created_at'], 'parley_conv_owner_idx');
        t.index(['agent_id', 'created_at'], 'parley_conv_agent_idx');
      });
      await knex.schema.createTable('parley_responses', (t) => {
        t.string('id', 36).primary();
        t.string('conversation_id', 36).notNullable().references('id').inTable('parley_conversations');
        t.integer('seq').notNullable();
        t.text('question').notNullable();
        t.string('status', 16).notNullable();
        t.text('answer', 'mediumtext');
        t.text('error');
        t.string('created_at', 30).notNullable();
        t.string('completed_at', 30);
        t.unique(['conversation_id', 'seq'], { indexName: 'parley_resp_seq_uq' });
        t.index(['completed_at'], 'parley_resp_completed_idx');
      });
      await knex.schema.createTable('parley_feedback', (t) => {
        t.string('id', 36).primary();
        t.string('response_id', 36).notNullable().unique().references('id').inTable('parley_responses');
        t.string('rating', 16);
        t.text('comment');
        t.string('created_at', 30).notNullable();
        t.string('updated_at', 30).notNullable();
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('parley_feedback');
      await knex.schema.dropTableIfExists('parley_responses');
      await knex.schema.dropTableIfExists('parley_conversations');
    },
  },
  // datasets (server/datasets): one metadata row per file naming its current version; file bytes per version in
  // chunks of at most 512 KB (the database storage driver), so instances sharing one MySQL store share the files
  '002_datasets': {
    async up(knex) {
      const client = (knex.client as { config: { client: string } }).config.client;
      const mysql = client === 'mysql2' || client === 'mysql';
      await knex.schema.createTable('parley_dataset_files', (t) => {
        t.string('id', 36).primary();
        t.string('workspace_id', 64).notNullable();
        t.string('agent_id', 64).notNullable();
        t.string('scope_kind', 16).notNullable();
        // 'userIdentifier' for user scopes, the userContext key for context scopes
        t.string('scope_key', 64).notNullable();
        t.string('scope_value', 256).notNullable();
        // sha-256 of (workspace, agent, kind, key, value): one short indexable column per scope
        t.string('scope_hash', 64).notNullable();
        // binary collation: file names compare exactly (MySQL's default collations ignore case and accents)
        t.string('name', 255).notNullable().collate('utf8mb4_bin');
        t.string('format', 8).notNullable();
        t.string('version', 36).notNullable();
        t.bigInteger('size').notNullable();
        t.string('sha256', 64).notNullable();
        t.text('notes').notNullable();
        t.text('meta', 'mediumtext').notNullable();
        t.string('created_at', 30).notNullable();
        t.string('updated_at', 30).notNullable();
        t.unique(['scope_hash', 'name'], { indexName: 'parley_dsf_scope_name_uq' });
        t.index(['agent_id', 'scope_kind', 'scope_hash'], 'parley_dsf_agent_idx');
        t.index(['version'], 'parley_dsf_version_idx');
      });
      await knex.schema.createTable('parley_dataset_blobs', (t) => {
        t.string('version_id', 36).notNullable();
        t.integer('seq').notNullable();
        if (mysql) t.specificType('data', 'mediumblob').notNullable();
        else t.binary('data').notNullable();
        t.string('created_at', 30).notNullable();
        t.primary(['version_id', 'seq'], 'parley_dsb_pk');
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('parley_dataset_blobs');
      await knex.schema.dropTableIfExists('parley_dataset_files');
    },
  },
  // identities compare exactly: a user's private files belong to their tenant too (scope_tenant, part of the
  // scope hash for multi-tenant agents), and MySQL compares user ids byte for byte ('Alice' is not 'alice')
  '003_exact_identities': {
    async up(knex) {
      const client = (knex.client as { config: { client: string } }).config.client;
      if (client === 'mysql2' || client === 'mysql') {
        const collation = await exactCollation(knex);
        for (const [table, column] of [
          ['parley_conversations', 'user_identifier'],
          ['parley_dataset_files', 'scope_value'],
        ] as const) {
          await knex.raw(
            `ALTER TABLE ?? MODIFY ?? VARCHAR(256) CHARACTER SET utf8mb4 COLLATE ${collation} NOT NULL`,
            [table, column],
          );
        }
      }
      await knex.schema.alterTable('parley_dataset_files', (t) => {
        // canonical JSON of the tenant (the scalar userContext fields) of a user file of a multi-tenant agent
        t.text('scope_tenant');
      });
    },
    async down(knex) {
      await knex.schema.alterTable('parley_dataset_files', (t) => {
        t.dropColumn('scope_tenant');
      });
    },
  },
  // answer leases (leases.ts): each server instance renews a row; a response records the instance making it, so
  // another instance fails it as interrupted only once that instance's lease has run out
  '004_instance_leases': {
    async up(knex) {
      await knex.schema.createTable('parley_instances', (t) => {
        t.string('id', 64).primary();
        t.string('started_at', 30).notNullable();
        t.string('expires_at', 30).notNullable();
        t.index(['expires_at'], 'parley_inst_expires_idx');
      });
      await knex.schema.alterTable('parley_responses', (t) => {
        t.string('instance_id', 64);
        t.index(['status'], 'parley_resp_status_idx');
      });
    },
    async down(knex) {
      await knex.schema.alterTable('parley_responses', (t) => {
        t.dropIndex(['status'], 'parley_resp_status_idx');
        t.dropColumn('instance_id');
      });
      await knex.schema.dropTableIfExists('parley_instances');
    },
  },
  // session revocation (server/auth/revocations.ts), kept in the store so every instance sharing it honours it.
  // Ids are sha-256 hashes: exact comparison whatever the database's collation, and no raw token ids at rest.
  '005_revocations': {
    async up(knex) {
      await knex.schema.createTable('parley_revoked_tokens', (t) => {
        t.string('token_hash', 64).primary();
        t.string('revoked_at', 30).notNullable();
        // after this the token has expired anyway and the row can go
        t.string('expires_at', 30).notNullable();
        t.index(['revoked_at'], 'parley_rvt_revoked_idx');
        t.index(['expires_at'], 'parley_rvt_expires_idx');
      });
      // "tokens issued before not_before for this subject are void"; a subject is (agent or any, user, tenant or any)
      await knex.schema.createTable('parley_revoked_sessions', (t) => {
        t.increments('id').primary();
        t.string('subject_hash', 64).notNullable();
        t.string('not_before', 30).notNullable();
        t.string('revoked_at', 30).notNullable();
        t.index(['subject_hash', 'not_before'], 'parley_rvs_subject_idx');
        t.index(['revoked_at'], 'parley_rvs_revoked_idx');
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('parley_revoked_sessions');
      await knex.schema.dropTableIfExists('parley_revoked_tokens');
    },
  },
};

export const storeMigrations: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name] as Migration,
};
