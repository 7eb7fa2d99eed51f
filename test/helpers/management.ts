/** @module Test helper: requests to the management API in-process, and a world of users, teams and websites to make them as. */
import { testApp } from './test-app.ts';
import { accountsWorld } from './accounts-fixture.ts';

/** A JSON request, with a bearer token or API key when given. */
export const json = (method: string, body: unknown, authorization?: string): RequestInit => ({
  method,
  headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
  body: JSON.stringify(body),
});

/** A GET, with a bearer token or API key when given. */
export const get = (authorization?: string): RequestInit => ({ headers: authorization ? { authorization } : {} });

/** The app in-process with the accounts fixture's world (admin, owner, other user, view-only, a team and its roles). */
export async function world() {
  const t = testApp();
  const w = await accountsWorld(t.meta, t.deps.passwords!, t.clock);
  return { ...t, w };
}
