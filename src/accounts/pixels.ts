/** @module Umami pixels (decisions.md rules over upstream's crashes): list, create, get, update, soft delete, as plain functions of (deps, principal, input). */
import { ApiError } from '../lib/api-error.ts';
import type { Page, PageQuery, PixelRecord } from '../store/meta-store.ts';
import type { AccountsDeps } from './accounts-deps.ts';
import { canCreateOwned, canDeleteOwned, canUpdateOwned, canViewOwned } from './permissions.ts';
import { mayListTeam } from './teams.ts';
import type { Principal } from './principal.ts';
import { teamRoleFor } from './websites.ts';

/** Umami answers this on update (it crashes with a 500 on create; decisions.md: both get it). */
export const SLUG_TAKEN = 'That slug is already taken.';

type Deps = AccountsDeps;

/**
 * Unknown (or deleted) id → 404, then not allowed → 401 (decisions.md). A deleted pixel stays
 * visible to admins when `withDeleted` (export of its kept hits).
 */
export function viewablePixel(d: Deps, p: Principal, id: string, withDeleted = false): PixelRecord {
  const px = d.meta.pixels.byId(id, withDeleted && p.isAdmin);
  if (!px) throw new ApiError('not-found');
  if (!canViewOwned(p, px, teamRoleFor(d, p, px))) throw new ApiError('unauthorized');
  return px;
}

/** The caller's own pixels only: team pixels are listed per team, even for admins (Umami). */
export function listPixels(d: Deps, p: Principal, q: PageQuery): Page<PixelRecord> {
  return d.meta.pixels.listForUser(p.user.id, q);
}

export function listTeamPixels(d: Deps, p: Principal, teamId: string, q: PageQuery): Page<PixelRecord> {
  mayListTeam(d, p, teamId);
  return d.meta.pixels.listForTeam(teamId, q);
}

export interface PixelInput {
  id?: string | null;
  name: string;
  slug: string;
  teamId?: string | null;
}

/** A unique-index violation that slipped past `slugTaken` (two creates racing) is still a 400. */
function guardSlug<T>(write: () => T): T {
  try {
    return write();
  } catch (e) {
    if (/UNIQUE constraint failed: pixels\.slug/.test(String(e))) throw new ApiError('bad-request', SLUG_TAKEN);
    throw e;
  }
}

export function createPixel(d: Deps, p: Principal, input: PixelInput): PixelRecord {
  const teamId = input.teamId ?? null;
  if (!canCreateOwned(p, teamId, teamId ? d.meta.members.roleOf(teamId, p.user.id) : null)) throw new ApiError('unauthorized');
  if (teamId && !d.meta.teams.byId(teamId)) throw new ApiError('not-found', 'Team not found.');
  if (input.id && d.meta.pixels.byId(input.id, true)) throw new ApiError('bad-request', 'That pixel id is already taken.');
  if (d.meta.pixels.slugTaken(input.slug)) throw new ApiError('bad-request', SLUG_TAKEN);
  return guardSlug(() =>
    d.meta.pixels.create({ id: input.id ?? crypto.randomUUID(), name: input.name, slug: input.slug, userId: teamId ? null : p.user.id, teamId }, d.clock()),
  );
}

export function updatePixel(d: Deps, p: Principal, id: string, patch: { name?: string; slug?: string }): PixelRecord {
  const px = d.meta.pixels.byId(id);
  if (!px) throw new ApiError('not-found');
  if (!canUpdateOwned(p, px, teamRoleFor(d, p, px))) throw new ApiError('unauthorized');
  if (patch.slug !== undefined && d.meta.pixels.slugTaken(patch.slug, id)) throw new ApiError('bad-request', SLUG_TAKEN);
  const updated = guardSlug(() => d.meta.pixels.update(id, patch, d.clock()));
  if (!updated) throw new ApiError('not-found');
  return updated;
}

/** Soft delete: hidden from lists, GET and `/p/:slug` at once; the slug is free again; hits are kept. */
export function deletePixel(d: Deps, p: Principal, id: string): void {
  const px = d.meta.pixels.byId(id);
  if (!px) throw new ApiError('not-found');
  if (!canDeleteOwned(p, px, teamRoleFor(d, p, px))) throw new ApiError('unauthorized');
  d.meta.pixels.delete(id, d.clock());
}
