/** @module Test helper: a populated accounts world (every global and team role, websites, pixels, tokens, an API key) built straight through the MetaStore. */
import type { MetaStore, TeamRole, UserRole } from '../../src/store/meta-store.ts';
import { issueToken } from '../../src/accounts/login.ts';
import { apiKeyPrefix, newApiKey, newWriteKey, sha256Hex } from '../../src/accounts/secrets.ts';
import type { Clock } from '../../src/lib/clock.ts';
import type { PasswordHasher } from '../../src/accounts/passwords.ts';

export const PASSWORD = 'correct horse battery staple';

export type Actor =
  | 'anonymous' | 'admin' | 'owner' | 'other' | 'viewOnly'
  | 'teamOwner' | 'teamManager' | 'teamMember' | 'teamViewOnly'
  | 'revokedToken' | 'expiredToken' | 'apiKey';

export const ACTORS: Actor[] = [
  'anonymous', 'admin', 'owner', 'other', 'viewOnly',
  'teamOwner', 'teamManager', 'teamMember', 'teamViewOnly',
  'revokedToken', 'expiredToken', 'apiKey',
];

export interface AccountsWorld {
  ids: Record<'admin' | 'owner' | 'other' | 'viewOnly' | 'teamOwner' | 'teamManager' | 'teamMember' | 'teamViewOnly', string>;
  teamId: string;
  accessCode: string;
  /** Owned by `owner`. */
  ownWebsiteId: string;
  /** Owned by the team. */
  teamWebsiteId: string;
  /** Pixel owned by `owner` (slug `ownpixel1`). */
  ownPixelId: string;
  /** Pixel owned by the team (slug `teampixel1`). */
  teamPixelId: string;
  /** The owner's API key id. */
  apiKeyId: string;
  /** Authorization header value per actor (none for anonymous). */
  auth: Record<Actor, string | undefined>;
}

/**
 * `owner` (role user) owns a personal website and pixel; `teamOwner` created the team, which owns a
 * website and a pixel and has one member of every other team role; `other` and `viewOnly` relate to
 * nothing. `revokedToken`, `expiredToken` and `apiKey` all belong to `owner`.
 */
export async function accountsWorld(meta: MetaStore, passwords: PasswordHasher, clock: Clock): Promise<AccountsWorld> {
  const now = clock();
  const passwordHash = await passwords.hash(PASSWORD);
  const user = (username: string, role: UserRole) => meta.users.create({ id: crypto.randomUUID(), username, passwordHash, role }, now).id;
  const ids = {
    admin: user('admin', 'admin'),
    owner: user('owner', 'user'),
    other: user('other', 'user'),
    viewOnly: user('viewer', 'view-only'),
    teamOwner: user('team-owner', 'user'),
    teamManager: user('team-manager', 'user'),
    teamMember: user('team-member', 'user'),
    teamViewOnly: user('team-viewer', 'user'),
  };
  const team = meta.teams.create({ id: crypto.randomUUID(), name: 'Team', accessCode: 'team_fixture0000000' }, ids.teamOwner, now);
  const member = (id: string, role: TeamRole) => meta.members.add(team.id, id, role, now);
  member(ids.teamManager, 'team-manager');
  member(ids.teamMember, 'team-member');
  member(ids.teamViewOnly, 'team-view-only');
  const website = (userId: string | null, teamId: string | null, createdBy: string) =>
    meta.websites.create({ id: crypto.randomUUID(), name: 'Site', domain: 'site.example', shareId: null, userId, teamId, createdBy, writeKey: newWriteKey() }, now).id;
  const ownWebsiteId = website(ids.owner, null, ids.owner);
  const teamWebsiteId = website(null, team.id, ids.teamOwner);
  const ownPixelId = meta.pixels.create({ id: crypto.randomUUID(), name: 'Pixel', slug: 'ownpixel1', userId: ids.owner, teamId: null }, now).id;
  const teamPixelId = meta.pixels.create({ id: crypto.randomUUID(), name: 'Team pixel', slug: 'teampixel1', userId: null, teamId: team.id }, now).id;

  const deps = { meta, passwords, clock };
  const bearer = (token: string) => `Bearer ${token}`;
  const revoked = issueToken(deps, ids.owner);
  meta.tokens.revoke(sha256Hex(revoked), now);
  const expired = issueToken({ ...deps, tokenTtlMs: -1 }, ids.owner);
  const key = newApiKey();
  const apiKeyId = meta.apiKeys.create({ id: crypto.randomUUID(), userId: ids.owner, name: 'fixture', keyHash: sha256Hex(key), prefix: apiKeyPrefix(key) }, now).id;

  const auth: Record<Actor, string | undefined> = {
    anonymous: undefined,
    admin: bearer(issueToken(deps, ids.admin)),
    owner: bearer(issueToken(deps, ids.owner)),
    other: bearer(issueToken(deps, ids.other)),
    viewOnly: bearer(issueToken(deps, ids.viewOnly)),
    teamOwner: bearer(issueToken(deps, ids.teamOwner)),
    teamManager: bearer(issueToken(deps, ids.teamManager)),
    teamMember: bearer(issueToken(deps, ids.teamMember)),
    teamViewOnly: bearer(issueToken(deps, ids.teamViewOnly)),
    revokedToken: bearer(revoked),
    expiredToken: bearer(expired),
    apiKey: bearer(key),
  };
  return { ids, teamId: team.id, accessCode: team.accessCode, ownWebsiteId, teamWebsiteId, ownPixelId, teamPixelId, apiKeyId, auth };
}
