/** @module MetaStore on bun:sqlite: the repositories of accounts, sites and secrets over one connection, with the hot lookups' caches and the change signals. */
import type { Database } from 'bun:sqlite';
import { Lru } from '../../lib/lru.ts';
import type { SaltStore } from '../../ingest/visitor-id.ts';
import type { ApiKeyRepo, MemberRepo, MetaStore, PixelRepo, TeamRepo, TokenRepo, UserRepo, WebsiteRepo } from '../meta-store.ts';
import { memberRepo, teamRepo, userRepo } from './account-repos.ts';
import { apiKeyRepo, saltStore, tokenRepo } from './credential-repos.ts';
import type { MetaRepoContext } from './meta-repo-context.ts';
import { pixelRepo, websiteRepo } from './site-repos.ts';

/**
 * Hot-path lookups (write key, pixel slug) are cached: 10k entries cover every website of any
 * realistic install. Any write to websites or pixels clears the cache, so it is never stale;
 * such writes are rare management calls. Misses are cached too (bounded), so a flood of
 * unknown keys costs one query per distinct key.
 */
const HOT_CACHE = 10_000;

export class SqliteMetaStore implements MetaStore {
  readonly users: UserRepo;
  readonly teams: TeamRepo;
  readonly members: MemberRepo;
  readonly websites: WebsiteRepo;
  readonly pixels: PixelRepo;
  readonly tokens: TokenRepo;
  readonly apiKeys: ApiKeyRepo;
  readonly salts: SaltStore;
  private readonly listeners = new Set<() => void>();
  private readonly writeKeys = new Lru<string, { id: string }>(HOT_CACHE);
  private readonly slugs = new Lru<string, { id: string }>(HOT_CACHE);

  constructor(private readonly db: Database) {
    const ctx: MetaRepoContext = {
      db,
      q: (sql) => db.query(sql),
      transaction: (fn) => this.transaction(fn),
      websitesChanged: () => this.websitesChanged(),
      pixelsChanged: () => this.slugs.clear(),
    };
    this.users = userRepo(ctx, this);
    this.teams = teamRepo(ctx, this);
    this.members = memberRepo(ctx);
    this.websites = websiteRepo(ctx, this.writeKeys);
    this.pixels = pixelRepo(ctx, this.slugs);
    this.tokens = tokenRepo(ctx);
    this.apiKeys = apiKeyRepo(ctx);
    this.salts = saltStore(ctx);
  }

  onWebsitesChanged(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  private websitesChanged(): void {
    this.writeKeys.clear();
    for (const l of this.listeners) {
      try {
        l();
      } catch {
        // A listener's failure must not undo or fail the write that already happened.
      }
    }
  }
}
