// Open sockets per user across instances (Redis): one sorted set per user, a member per socket scored by when it
// lapses. Instances refresh their sockets on every heartbeat, so the sockets of an instance that died lapse by
// themselves instead of holding the user's cap forever.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export class SharedSocketCount {
  constructor(
    private readonly redis: Redis,
    private readonly ttlMs: number,
  ) {}

  private key(ownerKey: string): string {
    return `parley:sockets:${createHash('sha256').update(ownerKey).digest('hex')}`;
  }

  /** Counts the socket in; false (and not counted) when the user already has `cap` open sockets. */
  async admit(ownerKey: string, member: string, cap: number): Promise<boolean> {
    const key = this.key(ownerKey);
    const now = Date.now();
    const replies = await this.redis
      .multi()
      .zremrangebyscore(key, '-inf', now)
      .zadd(key, now + this.ttlMs, member)
      .zcard(key)
      .pexpire(key, this.ttlMs)
      .exec();
    const count = Number(replies?.[2]?.[1] ?? 0);
    if (count <= cap) return true;
    await this.redis.zrem(key, member);
    return false;
  }

  release(ownerKey: string, member: string): void {
    this.redis.zrem(this.key(ownerKey), member).catch(() => undefined);
  }

  /** Keeps this instance's open sockets counted for another ttl. */
  refresh(sockets: Iterable<{ ownerKey: string; member: string }>): void {
    const pipeline = this.redis.pipeline();
    const until = Date.now() + this.ttlMs;
    for (const s of sockets) {
      pipeline.zadd(this.key(s.ownerKey), 'XX', until, s.member);
      pipeline.pexpire(this.key(s.ownerKey), this.ttlMs);
    }
    pipeline.exec().catch(() => undefined);
  }
}
