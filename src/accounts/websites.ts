/** @module Websites (Umami's rules) plus their RudderStack write key: list, create, get, update, delete, rotate the key. */
import { ApiError } from '../lib/api-error.ts';
import type { Page, PageQuery, TeamRole, WebsiteRecord } from '../store/meta-store.ts';
import type { AccountsDeps } from './accounts-deps.ts';
import { canCreateOwned, canDeleteOwned, canUpdateOwned, canViewOwned, type Owned } from './permissions.ts';
import { mayListTeam } from './teams.ts';
import type { Principal } from './principal.ts';
import { newWriteKey } from './secrets.ts';
import { domainHost, isParentDomain } from '../ingest/origin-registry.ts';

/** The caller's role in the team owning `o`, if a team owns it. */
export function teamRoleFor(d: AccountsDeps, p: Principal, o: Owned): TeamRole | null {
  return o.teamId ? d.meta.members.roleOf(o.teamId, p.user.id) : null;
}

/**
 * Unknown (or deleted) id → 404, then not allowed → 401 (decisions.md, as for pixels). A deleted
 * website stays visible to admins when `withDeleted` (export of its kept events).
 */
export function viewableWebsite(d: AccountsDeps, p: Principal, id: string, withDeleted = false): WebsiteRecord {
  const w = d.meta.websites.byId(id, withDeleted && p.isAdmin);
  if (!w) throw new ApiError('not-found');
  if (!canViewOwned(p, w, teamRoleFor(d, p, w))) throw new ApiError('unauthorized');
  return w;
}

export function listWebsites(d: AccountsDeps, p: Principal, q: PageQuery, includeTeams = true): Page<WebsiteRecord> {
  return d.meta.websites.listForUser(p.user.id, q, includeTeams);
}

export function listTeamWebsites(d: AccountsDeps, p: Principal, teamId: string, q: PageQuery): Page<WebsiteRecord> {
  mayListTeam(d, p, teamId);
  return d.meta.websites.listForTeam(teamId, q);
}

export interface WebsiteInput {
  id?: string | null;
  name: string;
  domain?: string | null;
  shareId?: string | null;
  teamId?: string | null;
}

/** A domain's host without a leading `www.`: the site it names (the Prisme API takes both forms as one). */
function siteOf(domain: string): string | null {
  return siteOfHost(domainHost(domain));
}

function siteOfHost(host: string | null): string | null {
  return host === null ? null : host.replace(/^www\./, '');
}

/** The same text (any case), or two spellings of one site (`www.`, a URL, a port). */
function sameDomain(a: string, b: string): boolean {
  if (a.trim().toLowerCase() === b.trim().toLowerCase()) return true;
  const site = siteOf(a);
  return site !== null && site === siteOf(b);
}

/**
 * A website's domain must be a host (a URL's is taken: `https://Example.com/x` → example.com), and
 * neither another owner's live website's domain nor under it. The Prisme API counts a page under
 * the website whose domain is the page's host or its closest parent, so a user who set up someone
 * else's domain first — or a subdomain of it (`blog.site.example` under `site.example`) — would
 * receive that site's visits. One owner (a user, or a team) may give several websites one domain
 * (their RudderStack write keys tell them apart). A domain that does not change is not checked:
 * a database with such a pair from before keeps both websites editable. Umami takes any text.
 */
function checkDomain(d: AccountsDeps, domain: string | null | undefined, owner: Owned, website?: WebsiteRecord): void {
  if (!domain) return;
  // Resent as it is (Umami's settings form sends the domain with every save): not checked, so a
  // website from before these rules, even one whose domain is no host name, stays editable.
  if (website?.domain && sameDomain(website.domain, domain)) return;
  const host = domainHost(domain);
  const site = siteOfHost(host);
  if (host === null || site === null) throw new ApiError('bad-request', 'That domain is not a host name (example.com or www.example.com).');
  for (const other of d.meta.websites.domains()) {
    if (other.id === website?.id) continue;
    const otherHost = domainHost(other.domain);
    if (otherHost === null) continue;
    const same = siteOfHost(otherHost) === site;
    if (!same && !isParentDomain(otherHost, host)) continue;
    const w = d.meta.websites.byId(other.id);
    if (w && (w.userId !== owner.userId || w.teamId !== owner.teamId))
      throw new ApiError('bad-request', same ? 'That domain is already used by another website.' : "That domain is under another owner's website.");
  }
}

export function createWebsite(d: AccountsDeps, p: Principal, input: WebsiteInput): WebsiteRecord {
  const teamId = input.teamId ?? null;
  if (!canCreateOwned(p, teamId, teamId ? d.meta.members.roleOf(teamId, p.user.id) : null)) throw new ApiError('unauthorized');
  if (teamId && !d.meta.teams.byId(teamId)) throw new ApiError('not-found', 'Team not found.');
  if (input.id && d.meta.websites.byId(input.id, true)) throw new ApiError('bad-request', 'That website id is already taken.');
  if (input.shareId && d.meta.websites.shareIdTaken(input.shareId)) throw new ApiError('bad-request', 'That share ID is already taken.');
  checkDomain(d, input.domain, { userId: teamId ? null : p.user.id, teamId });
  return d.meta.websites.create(
    {
      id: input.id ?? crypto.randomUUID(),
      name: input.name,
      domain: input.domain ?? null,
      shareId: input.shareId ?? null,
      userId: teamId ? null : p.user.id,
      teamId,
      createdBy: p.user.id,
      writeKey: newWriteKey(),
    },
    d.clock(),
  );
}

export function updateWebsite(d: AccountsDeps, p: Principal, id: string, patch: { name?: string; domain?: string; shareId?: string | null }): WebsiteRecord {
  const w = d.meta.websites.byId(id);
  if (!w) throw new ApiError('not-found');
  if (!canUpdateOwned(p, w, teamRoleFor(d, p, w))) throw new ApiError('unauthorized');
  if (patch.shareId && d.meta.websites.shareIdTaken(patch.shareId, id)) throw new ApiError('bad-request', 'That share ID is already taken.');
  checkDomain(d, patch.domain, w, w);
  const updated = d.meta.websites.update(id, patch, d.clock());
  if (!updated) throw new ApiError('not-found');
  return updated;
}

export function deleteWebsite(d: AccountsDeps, p: Principal, id: string): void {
  const w = d.meta.websites.byId(id);
  if (!w) throw new ApiError('not-found');
  if (!canDeleteOwned(p, w, teamRoleFor(d, p, w))) throw new ApiError('unauthorized');
  d.meta.websites.delete(id, d.clock());
}

/** A new write key; the old one stops working at once (the hot-path cache is cleared on write). */
export function rotateWriteKey(d: AccountsDeps, p: Principal, id: string): WebsiteRecord {
  const w = d.meta.websites.byId(id);
  if (!w) throw new ApiError('not-found');
  if (!canUpdateOwned(p, w, teamRoleFor(d, p, w))) throw new ApiError('unauthorized');
  const updated = d.meta.websites.setWriteKey(id, newWriteKey(), d.clock());
  if (!updated) throw new ApiError('not-found');
  return updated;
}
