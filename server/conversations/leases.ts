// Answer leases: every server instance has an id and keeps a lease row alive in the store; a response left in
// progress is failed as interrupted only once the lease of the instance making it has run out. Any instance
// looks, periodically: a deploy no longer fails the answers other instances are still making, and an answer
// orphaned by a crash is failed within a lease time instead of whenever some instance restarts.
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Knex } from 'knex';

/** What history, sync and /api/v1 all show for an answer whose server stopped before it was ready. */
export const INTERRUPTED = {
  code: 'interrupted',
  message: 'the answer was interrupted because its server stopped before it was ready: ask again',
} as const;

/** Rows written before leases existed (or by the CLI) name no instance: failed once this old. */
const UNOWNED_GRACE_MS = 15 * 60_000;
/** Lease rows of instances gone this long are deleted. */
const FORGET_AFTER_MS = 24 * 3600_000;

export const DEFAULT_LEASE_MS = 30_000;

export function newInstanceId(): string {
  const host =
    os
      .hostname()
      .replace(/[^A-Za-z0-9_.-]/g, '')
      .slice(0, 40) || 'host';
  return `${host}-${randomUUID().slice(0, 8)}`;
}

/** Creates or extends an instance's lease until now + ttl. */
export async function renewLease(db: Knex, instanceId: string, now: Date, ttlMs: number): Promise<void> {
  await db('parley_instances')
    .insert({
      id: instanceId,
      started_at: now.toISOString(),
      expires_at: new Date(now.getTime() + ttlMs).toISOString(),
    })
    .onConflict('id')
    .merge(['expires_at']);
}

/** Fails the in-progress responses whose instance holds no live lease; returns how many. */
export async function failOrphaned(db: Knex, now: Date): Promise<number> {
  const at = now.toISOString();
  const live = db('parley_instances').select('id').where('expires_at', '>', at);
  const unownedBefore = new Date(now.getTime() - UNOWNED_GRACE_MS).toISOString();
  return db('parley_responses')
    .where('status', 'in_progress')
    .andWhere((w) =>
      w
        .where((owned) => owned.whereNotNull('instance_id').whereNotIn('instance_id', live))
        .orWhere((unowned) => unowned.whereNull('instance_id').andWhere('created_at', '<', unownedBefore)),
    )
    .update({ status: 'failed', error: JSON.stringify(INTERRUPTED), completed_at: at });
}

export interface LeaseOptions {
  /** how long a lease lasts without renewal; default 30 s. Renewed every third of it */
  ttlMs?: number;
  clock?: () => Date;
  onError?: (err: unknown) => void;
}

/** One instance's lease: renewed, and orphaned answers of other instances failed, every third of the lease time. */
export class InstanceLease {
  private timer: NodeJS.Timeout | undefined;
  private readonly ttlMs: number;
  private readonly clock: () => Date;
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly db: Knex,
    readonly instanceId: string,
    private readonly options: LeaseOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? DEFAULT_LEASE_MS;
    this.clock = options.clock ?? (() => new Date());
  }

  /** Takes the lease (failing if the store does not answer), fails what is orphaned, and keeps renewing. */
  async start(): Promise<void> {
    await renewLease(this.db, this.instanceId, this.clock(), this.ttlMs);
    await failOrphaned(this.db, this.clock());
    this.timer = setInterval(
      () => {
        this.ticking ??= this.tick().finally(() => {
          this.ticking = undefined;
        });
      },
      Math.max(250, Math.floor(this.ttlMs / 3)),
    );
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await renewLease(this.db, this.instanceId, this.clock(), this.ttlMs);
      await failOrphaned(this.db, this.clock());
      const forget = new Date(this.clock().getTime() - FORGET_AFTER_MS).toISOString();
      await this.db('parley_instances').where('expires_at', '<', forget).delete();
    } catch (err) {
      // the store is away: the next tick tries again (the lease lasts three ticks)
      this.options.onError?.(err);
    }
  }

  /** On shutdown, after the answers have finished: whatever is still ours is interrupted now, and the lease goes. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    await this.db('parley_responses')
      .where({ status: 'in_progress', instance_id: this.instanceId })
      .update({
        status: 'failed',
        error: JSON.stringify(INTERRUPTED),
        completed_at: this.clock().toISOString(),
      });
    await this.db('parley_instances').where('id', this.instanceId).delete();
  }
}
