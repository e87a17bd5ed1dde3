// Reads a database's tables, columns, primary and foreign keys (SQLite and MySQL/MariaDB), maps the column
// types onto the model's types, and builds a starting semantic model from them (`parley model pull`).
import type { Knex } from 'knex';
import type { ColumnType, ContextFilter, Relation, SemanticModel, Table } from '../config/schema.ts';
import { type Dialect, dialectOf } from '../db/connect.ts';

export interface DatabaseColumn {
  /** the type as the database declares it, e.g. `varchar(255)`, `tinyint(1)`, `decimal(10,2)` */
  dataType: string;
  /** the model type it maps to (see mapColumnType) */
  type: ColumnType;
  nullable: boolean;
}

export interface DatabaseForeignKey {
  columns: string[];
  table: string;
  references: string[];
}

export interface DatabaseTable {
  /** in the database's column order */
  columns: Record<string, DatabaseColumn>;
  primaryKey: string[];
  foreignKeys: DatabaseForeignKey[];
}

export interface DatabaseSchema {
  /** tables and views, by name */
  tables: Record<string, DatabaseTable>;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const BINARY =
  /^(tiny|medium|long)?blob$|^(var)?binary$|^bytea$|^geometry|^point$|^(multi)?(linestring|polygon)$/;

function baseType(dataType: string): string {
  return dataType
    .toLowerCase()
    .replace(/\(.*$/, '')
    .replace(/\b(unsigned|signed|zerofill)\b/g, '')
    .trim();
}

/** Whether a database type holds binary or spatial data, which the model cannot show (pull leaves it out). */
export function isBinaryType(dataType: string): boolean {
  return BINARY.test(baseType(dataType));
}

/**
 * Maps a database column type onto a model type:
 * int/integer/bigint/smallint/mediumint/tinyint -> integer (MySQL `tinyint(1)`/`bit(1)` and SQLite
 * `boolean` -> boolean); decimal/numeric/real/float/double -> number; char/varchar/text/enum/json -> string;
 * date -> date; datetime/timestamp -> datetime.
 * SQLite has no date type, so timestamps are usually stored as text. Heuristic: in SQLite a TEXT-like column
 * (text, varchar, char, clob, or no declared type) whose name ends in `_at` or `_date` maps to datetime.
 * Other SQLite types follow SQLite's affinity rules (a type containing INT is integer, CHAR/CLOB/TEXT string,
 * REAL/FLOA/DOUB number); anything else (blobs, unknown types) maps to string.
 */
export function mapColumnType(dataType: string, columnName: string, dialect: Dialect): ColumnType {
  const raw = dataType.toLowerCase().trim();
  const base = baseType(raw);
  if (dialect === 'mysql' && /^(tinyint|bit)\s*\(\s*1\s*\)/.test(raw)) return 'boolean';
  if (base === 'bool' || base === 'boolean') return 'boolean';
  if (base === 'date') return 'date';
  if (base === 'datetime' || base === 'timestamp' || base.startsWith('timestamp ')) return 'datetime';
  if (/^(tiny|small|medium|big)?int(eger)?$|^int[248]$|^year$|^unsigned big int$/.test(base))
    return 'integer';
  if (/^(decimal|numeric|dec|fixed|real|float|double|double precision)$/.test(base)) return 'number';
  if (
    /^(var)?char$|^n(ational )?(var)?char|^character|^varying character|text$|^clob$|^enum$|^set$|^json$/.test(
      base,
    )
  ) {
    if (dialect === 'sqlite' && /(_at|_date)$/i.test(columnName)) return 'datetime';
    return 'string';
  }
  if (dialect === 'sqlite') {
    if (base === '' && /(_at|_date)$/i.test(columnName)) return 'datetime';
    if (base.includes('int')) return 'integer';
    if (/char|clob|text/.test(base)) return 'string';
    if (/real|floa|doub/.test(base)) return 'number';
  }
  return 'string';
}

/** The values of a MySQL `enum('a','b')` column type, or undefined for other types. */
export function enumValues(dataType: string): string[] | undefined {
  const m = /^enum\s*\((.*)\)$/is.exec(dataType.trim());
  if (!m) return undefined;
  const body = m[1] as string;
  const values: string[] = [];
  let i = 0;
  for (;;) {
    while (i < body.length && (body[i] === ' ' || body[i] === ',')) i++;
    if (i >= body.length) break;
    if (body[i] !== "'") return undefined;
    i++;
    let value = '';
    let closed = false;
    while (i < body.length) {
      const ch = body[i] as string;
      if (ch === "'" && body[i + 1] === "'") {
        value += "'";
        i += 2;
      } else if (ch === "'") {
        i++;
        closed = true;
        break;
      } else if (ch === '\\' && i + 1 < body.length) {
        value += body[i + 1];
        i += 2;
      } else {
        value += ch;
        i++;
      }
    }
    if (!closed) return undefined;
    values.push(value);
  }
  return values.length > 0 ? values : undefined;
}

async function rawRows<T>(db: Knex, sql: string, bindings: readonly Knex.Value[] = []): Promise<T[]> {
  const result = await db.raw(sql, bindings as Knex.Value[]);
  // mysql2 answers [rows, fields]; better-sqlite3 answers the rows
  return (dialectOf(db) === 'mysql' ? (result as [T[], unknown])[0] : result) as T[];
}

async function introspectSqlite(db: Knex): Promise<DatabaseSchema> {
  const names = (
    await rawRows<{ name: string }>(
      db,
      "select name from sqlite_master where type in ('table', 'view') order by name",
    )
  )
    .map((r) => r.name)
    .filter((n) => !n.startsWith('sqlite_'));
  const tables = new Map<string, DatabaseTable>();
  for (const name of names) {
    const info = await rawRows<{ name: string; type: string | null; notnull: number; pk: number }>(
      db,
      'select name, type, "notnull" as "notnull", pk from pragma_table_info(?) order by cid',
      [name],
    );
    const columns = info.map(
      (c) =>
        [
          c.name,
          {
            dataType: c.type ?? '',
            type: mapColumnType(c.type ?? '', c.name, 'sqlite'),
            nullable: Number(c.notnull) === 0 && Number(c.pk) === 0,
          },
        ] as const,
    );
    const primaryKey = info
      .filter((c) => Number(c.pk) > 0)
      .sort((a, b) => Number(a.pk) - Number(b.pk))
      .map((c) => c.name);
    const fkRows = await rawRows<{ id: number; seq: number; table: string; from: string; to: string | null }>(
      db,
      'select id, seq, "table" as "table", "from" as "from", "to" as "to" from pragma_foreign_key_list(?) order by id, seq',
      [name],
    );
    const byId = new Map<number, DatabaseForeignKey & { implicit: boolean }>();
    for (const row of fkRows) {
      let fk = byId.get(row.id);
      if (!fk) {
        fk = { columns: [], table: row.table, references: [], implicit: false };
        byId.set(row.id, fk);
      }
      fk.columns.push(row.from);
      if (row.to === null) fk.implicit = true;
      else fk.references.push(row.to);
    }
    tables.set(name, {
      columns: Object.fromEntries(columns),
      primaryKey,
      foreignKeys: [...byId.values()].map(({ implicit, ...fk }) =>
        implicit ? { ...fk, references: [] } : fk,
      ),
    });
  }
  // `REFERENCES parent` without columns means the parent's primary key
  for (const table of tables.values()) {
    for (const fk of table.foreignKeys) {
      if (fk.references.length === 0) fk.references = [...(tables.get(fk.table)?.primaryKey ?? [])];
    }
  }
  return { tables: Object.fromEntries(tables) };
}

async function introspectMysql(db: Knex): Promise<DatabaseSchema> {
  const columnRows = await rawRows<{
    table_name: string;
    column_name: string;
    column_type: string;
    is_nullable: string;
  }>(
    db,
    `select c.TABLE_NAME as table_name, c.COLUMN_NAME as column_name, c.COLUMN_TYPE as column_type,
            c.IS_NULLABLE as is_nullable
       from information_schema.COLUMNS c
      where c.TABLE_SCHEMA = DATABASE()
      order by c.TABLE_NAME, c.ORDINAL_POSITION`,
  );
  const keyRows = await rawRows<{
    table_name: string;
    constraint_name: string;
    constraint_type: string;
    column_name: string;
    referenced_table_name: string | null;
    referenced_column_name: string | null;
  }>(
    db,
    `select k.TABLE_NAME as table_name, k.CONSTRAINT_NAME as constraint_name, t.CONSTRAINT_TYPE as constraint_type,
            k.COLUMN_NAME as column_name, k.REFERENCED_TABLE_NAME as referenced_table_name,
            k.REFERENCED_COLUMN_NAME as referenced_column_name
       from information_schema.TABLE_CONSTRAINTS t
       join information_schema.KEY_COLUMN_USAGE k
         on k.CONSTRAINT_SCHEMA = t.CONSTRAINT_SCHEMA
        and k.CONSTRAINT_NAME = t.CONSTRAINT_NAME
        and k.TABLE_SCHEMA = t.TABLE_SCHEMA
        and k.TABLE_NAME = t.TABLE_NAME
      where t.TABLE_SCHEMA = DATABASE()
        and t.CONSTRAINT_TYPE in (?, ?)
      order by k.TABLE_NAME, k.CONSTRAINT_NAME, k.ORDINAL_POSITION`,
    ['PRIMARY KEY', 'FOREIGN KEY'],
  );
  const tables = new Map<
    string,
    { columns: Array<[string, DatabaseColumn]>; primaryKey: string[]; fks: Map<string, DatabaseForeignKey> }
  >();
  const tableOf = (name: string) => {
    let t = tables.get(name);
    if (!t) {
      t = { columns: [], primaryKey: [], fks: new Map() };
      tables.set(name, t);
    }
    return t;
  };
  for (const row of columnRows) {
    tableOf(row.table_name).columns.push([
      row.column_name,
      {
        dataType: row.column_type,
        type: mapColumnType(row.column_type, row.column_name, 'mysql'),
        nullable: row.is_nullable === 'YES',
      },
    ]);
  }
  for (const row of keyRows) {
    if (!tables.has(row.table_name)) continue;
    const t = tableOf(row.table_name);
    if (row.constraint_type === 'PRIMARY KEY') {
      t.primaryKey.push(row.column_name);
    } else if (row.referenced_table_name !== null && row.referenced_column_name !== null) {
      let fk = t.fks.get(row.constraint_name);
      if (!fk) {
        fk = { columns: [], table: row.referenced_table_name, references: [] };
        t.fks.set(row.constraint_name, fk);
      }
      fk.columns.push(row.column_name);
      fk.references.push(row.referenced_column_name);
    }
  }
  const names = [...tables.keys()].sort();
  return {
    tables: Object.fromEntries(
      names.map((name) => {
        const t = tables.get(name) as NonNullable<ReturnType<typeof tables.get>>;
        return [
          name,
          {
            columns: Object.fromEntries(t.columns),
            primaryKey: t.primaryKey,
            foreignKeys: [...t.fks.values()],
          },
        ];
      }),
    ),
  };
}

/**
 * Reads the tables (and views) of the connected database: columns with mapped types, primary and foreign keys.
 * Tables come in name order, columns in table order, foreign keys in the order of their first column.
 */
export async function introspectDatabase(db: Knex): Promise<DatabaseSchema> {
  const schema = dialectOf(db) === 'mysql' ? await introspectMysql(db) : await introspectSqlite(db);
  for (const table of Object.values(schema.tables)) {
    const position = new Map(Object.keys(table.columns).map((c, i) => [c, i]));
    const at = (fk: DatabaseForeignKey) => position.get(fk.columns[0] as string) ?? Number.MAX_SAFE_INTEGER;
    table.foreignKeys.sort((a, b) => at(a) - at(b) || a.table.localeCompare(b.table));
  }
  return schema;
}

export interface ModelFromSchemaOptions {
  /** the tenant column, e.g. `organisation_id`: every table that has it gets a context filter on it */
  contextColumn?: string;
  /** the userContext field the context filters compare with; defaults to the column in camelCase */
  contextField?: string;
}

/** `organisation_id` -> `organisationId` */
export function camelCase(name: string): string {
  return name.toLowerCase().replace(/_+([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function uniqueName(taken: Set<string>, candidates: string[]): string {
  for (const c of candidates) {
    const name = c.slice(0, 64);
    if (IDENTIFIER.test(name) && !taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
  const stem = (candidates[0] ?? 'relation').slice(0, 60);
  for (let i = 2; ; i++) {
    const name = `${stem}_${i}`;
    if (!taken.has(name)) {
      taken.add(name);
      return name;
    }
  }
}

/**
 * A starting semantic model for a database: every table queryable; its columns listed with their mapped types,
 * except the context column, foreign-key columns and binary columns, which stay hidden; relations from the
 * foreign keys in both directions (many-to-one named after the referenced table, one-to-many after the child
 * table; clashes get the key column's name); `created_at` as time column and `name` as label column when
 * present. With a context column, every table that has it gets a context filter on it, and a table the
 * context column references through a foreign key (the tenant table, e.g. organisations) gets a context
 * filter on the referenced key; foreign keys on the context column give only the many-to-one relation to the
 * tenant table (not the one-to-many back). Tables or columns whose names are not plain identifiers are left out.
 */
export function modelFromSchema(schema: DatabaseSchema, options: ModelFromSchemaOptions = {}): SemanticModel {
  const { contextColumn } = options;
  const contextField = options.contextField ?? (contextColumn ? camelCase(contextColumn) : undefined);
  const names = Object.keys(schema.tables)
    .filter((n) => IDENTIFIER.test(n))
    .sort();
  const included = new Set(names);
  const usable = (fk: DatabaseForeignKey) =>
    included.has(fk.table) &&
    fk.columns.length > 0 &&
    fk.columns.length === fk.references.length &&
    [...fk.columns, ...fk.references].every((c) => IDENTIFIER.test(c));

  // the tenant tables: referenced by a single-column foreign key on the context column
  const tenantKeys = new Map<string, string>();
  if (contextColumn) {
    for (const name of names) {
      for (const fk of schema.tables[name]?.foreignKeys ?? []) {
        if (usable(fk) && fk.columns.length === 1 && fk.columns[0] === contextColumn) {
          const target = schema.tables[fk.table];
          if (target && !Object.hasOwn(target.columns, contextColumn))
            tenantKeys.set(fk.table, fk.references[0] as string);
        }
      }
    }
  }

  // records are built from entries: a table or column may be called `__proto__` or `constructor`
  const tables: Array<[string, Table]> = [];
  const relationNames = new Map<string, Set<string>>(names.map((n) => [n, new Set<string>()]));
  const relations = new Map<string, Array<[string, Relation]>>(names.map((n) => [n, []]));
  const keyStem = (fk: DatabaseForeignKey) => (fk.columns[0] as string).replace(/_id$/i, '');
  // many-to-one first (they get the plain names when names clash), in foreign key order
  for (const name of names) {
    for (const fk of schema.tables[name]?.foreignKeys ?? []) {
      if (!usable(fk)) continue;
      const stem = keyStem(fk);
      const relName = uniqueName(relationNames.get(name) as Set<string>, [
        fk.table,
        stem,
        `${fk.table}_by_${stem}`,
      ]);
      relations.get(name)?.push([
        relName,
        {
          table: fk.table,
          kind: 'many-to-one',
          on: Object.fromEntries(fk.columns.map((c, i) => [c, fk.references[i] as string])),
        },
      ]);
    }
  }
  // then one-to-many, except from the tenant table: every table links to it through the context column, so
  // those relations would only add a second, meaningless join path between every pair of tenant tables
  for (const name of names) {
    for (const fk of schema.tables[name]?.foreignKeys ?? []) {
      if (!usable(fk)) continue;
      if (
        contextColumn &&
        fk.columns.length === 1 &&
        fk.columns[0] === contextColumn &&
        tenantKeys.has(fk.table)
      ) {
        continue;
      }
      const relName = uniqueName(relationNames.get(fk.table) as Set<string>, [
        name,
        `${name}_by_${keyStem(fk)}`,
      ]);
      relations.get(fk.table)?.push([
        relName,
        {
          table: name,
          kind: 'one-to-many',
          on: Object.fromEntries(fk.references.map((r, i) => [r, fk.columns[i] as string])),
        },
      ]);
    }
  }

  for (const name of names) {
    const source = schema.tables[name] as DatabaseTable;
    const hidden = new Set<string>();
    for (const fk of source.foreignKeys) for (const c of fk.columns) hidden.add(c);
    const contextFilters: ContextFilter[] = [];
    if (contextColumn && contextField) {
      if (Object.hasOwn(source.columns, contextColumn)) {
        hidden.add(contextColumn);
        contextFilters.push({ column: contextColumn, field: contextField, op: 'eq' });
      } else if (tenantKeys.has(name)) {
        const key = tenantKeys.get(name) as string;
        hidden.add(key);
        contextFilters.push({ column: key, field: contextField, op: 'eq' });
      }
    }
    const columnEntries: Array<[string, Table['columns'][string]]> = [];
    for (const [colName, col] of Object.entries(source.columns)) {
      if (hidden.has(colName) || !IDENTIFIER.test(colName) || isBinaryType(col.dataType)) continue;
      const values = col.type === 'string' ? enumValues(col.dataType) : undefined;
      columnEntries.push([colName, { type: col.type, synonyms: [], ...(values ? { values } : {}) }]);
    }
    const columns: Table['columns'] = Object.fromEntries(columnEntries);
    const columnNames = Object.keys(source.columns);
    const primaryKey =
      source.primaryKey[0] ??
      (Object.hasOwn(source.columns, 'id') ? 'id' : (columnNames.find((c) => IDENTIFIER.test(c)) ?? 'id'));
    const table: Table = {
      access: 'queryable',
      synonyms: [],
      primaryKey,
      contextFilters,
      columns,
      computed: {},
      relations: Object.fromEntries(relations.get(name) ?? []),
      measures: {},
      segments: {},
    };
    if (Object.hasOwn(columns, 'name') && columns.name?.type === 'string') table.labelColumn = 'name';
    const createdAt = Object.hasOwn(columns, 'created_at') ? columns.created_at?.type : undefined;
    if (createdAt === 'datetime' || createdAt === 'date') table.timeColumn = 'created_at';
    tables.push([name, table]);
  }
  return { tables: Object.fromEntries(tables) };
}
