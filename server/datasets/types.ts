// The shapes shared by the dataset service, the HTTP routes and the query side.
// Same role as planner/types.ts: a room's types-only module is its types.ts.
import type { ColumnType } from '../config/schema.ts';
import type { DateGrain } from './dates.ts';
import type { DatasetFormat } from './names.ts';
import type { DatasetValueType } from './parse.ts';

/**
 * The tenant a user belongs to in a multi-tenant agent: the integer and string fields of their userContext
 * (e.g. { organisationId: 2 }). List fields are permissions within the tenant, not part of it.
 */
export type DatasetTenant = Readonly<Record<string, number | string>>;

/**
 * Who a file belongs to: one user of an agent (in a multi-tenant agent, one user *of one tenant*: "u17" of
 * organisation 1 and "u17" of organisation 2 are different people), or everyone whose userContext has
 * `contextKey` = `contextValue`.
 */
export type DatasetScope =
  | { kind: 'user'; userIdentifier: string; tenant?: DatasetTenant }
  | { kind: 'context'; contextKey: string; contextValue: number | string };

export interface DatasetColumnInfo {
  /** SQL identifier of the column in its table */
  name: string;
  /** the header as written in the file */
  header: string;
  type: DatasetValueType;
  /** the semantic model's type: number, string, boolean, date (calendar dates) or datetime */
  modelType: Extract<ColumnType, 'number' | 'string' | 'boolean' | 'date' | 'datetime'>;
  /** a date column's grain: its values name days, months, quarters or years (stored as the period's first day) */
  grain?: DateGrain;
  /** how a date column's values are written (luxon tokens, e.g. `MMM yyyy`) */
  dateFormat?: string;
  /** every distinct value of a string column with at most 50 of them, or of a column of names with at most 2,000 */
  values?: string[];
  /** a few values, shortened */
  samples: string[];
}

export interface DatasetRecord {
  /** stable id of the file (survives replacement) */
  id: string;
  agentId: string;
  scope: DatasetScope;
  /** the filename */
  name: string;
  /** logical path: /{workspaceId}/{agentId}/userIdentifier/{id}/{name} or .../userContext/{key}:{value}/{name} */
  path: string;
  format: DatasetFormat;
  /** bytes */
  size: number;
  sha256: string;
  /** the id of the current content; changes on every upload of the same name */
  version: string;
  notes: string;
  rowCount: number;
  columns: DatasetColumnInfo[];
  createdAt: string;
  /** when the current version was uploaded */
  updatedAt: string;
}

/** A dataset one user can query, with its table name among everything that user sees. */
export interface VisibleDataset extends DatasetRecord {
  table: string;
}
