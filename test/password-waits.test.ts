/**
 * Requests that wait on a password hash or verify (~100 ms each in the binary) while another
 * request changes what they had checked. The hasher here holds chosen calls until the test lets
 * them go, so every interleaving is driven, not timed.
 */
import { describe, expect, it } from 'bun:test';
import { testApp } from './helpers/test-app.ts';
import { accountsWorld, PASSWORD } from './helpers/accounts-fixture.ts';
import { passwordHasher, TEST_PASSWORD_COST, type PasswordHasher } from '../src/accounts/passwords.ts';

type Kind = 'hash' | 'verify';

/** A real (test-cost) hasher whose next `n` calls of a kind wait for `release()`. */
function holdingHasher() {
  const real = passwordHasher(TEST_PASSWORD_COST);
  const toHold: Record<Kind, number> = { hash: 0, verify: 0 };
  const held: (() => void)[] = [];
  const gate = (kind: Kind) => (toHold[kind] > 0 ? (toHold[kind]--, new Promise<void>((go) => held.push(go))) : Promise.resolve());
  const hasher: PasswordHasher = {
    hash: async (password) => (await gate('hash'), real.hash(password)),
    verify: async (password, hash) => (await gate('verify'), real.verify(password, hash)),
  };
  return {
    hasher,
    hold(kind: Kind, n = 1) {
      toHold[kind] += n;
    },
    /** Resolves once `n` calls are held. */
    async held(n: number) {
      while (held.length < n) await new Promise((r) => setImmediate(r));
    },
    /** Lets the held calls go (the first `n` of them, first held first). */
    release(n = held.length) {
      for (const go of held.splice(0, n)) go();
    },
  };
}

const post = (body: unknown, authorization?: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
  body: JSON.stringify(body),
});

async function world() {
  const h = holdingHasher();
  const t = testApp([], { passwords: h.hasher });
  const w = await accountsWorld(t.meta, h.hasher, t.clock);
  const login = (username: string, password: string) => t.request('/api/auth/login', post({ username, password }));
  /**
   * Sends `send` with its next password call of `kind` held, runs `meanwhile` (each of its answers
   * must be 200), then lets the held call go and returns the first request's answer.
   */
  const whileHeld = async (kind: Kind, send: () => Promise<Response>, ...meanwhile: (() => Promise<Response>)[]): Promise<Response> => {
    h.hold(kind);
    const answer = send();
    await h.held(1);
    for (const other of meanwhile) expect((await other()).status).toBe(200);
    h.release();
    return answer;
  };
  const del = (path: string, authorization: string | undefined) => () => t.request(path, { method: 'DELETE', headers: { authorization: authorization! } });
  return { ...t, w, h, login, whileHeld, del };
}

describe('a request that waits on a password hash', () => {
  it('gets no token for a login whose password was changed while it was being checked', async () => {
    const { request, w, login, whileHeld } = await world();
    const res = await whileHeld('verify', () => login('owner', PASSWORD), () => request(`/api/users/${w.ids.owner}`, post({ password: 'the new one, long' }, w.auth.admin)));
    expect(res.status).toBe(401);
    expect((await res.json()) as unknown).toEqual({ error: { message: 'Unauthorized', code: 'incorrect-username-password', status: 401 } });
    expect((await login('owner', 'the new one, long')).status).toBe(200);
  });

  it('gets no token for a login whose user was deleted while it was being checked', async () => {
    const { w, login, whileHeld, del } = await world();
    expect((await whileHeld('verify', () => login('owner', PASSWORD), del(`/api/users/${w.ids.owner}`, w.auth.admin))).status).toBe(401);
  });

  it("cannot undo another change of one's password: the current password it proved is no longer current", async () => {
    const { request, w, login, whileHeld } = await world();
    // The other change is the same session's, which it leaves working (an admin's would end it: 401).
    const undo = () => request('/api/me/password', post({ currentPassword: PASSWORD, newPassword: PASSWORD }, w.auth.owner));
    const res = await whileHeld('verify', undo, () => request(`/api/users/${w.ids.owner}`, post({ password: 'set by myself meanwhile' }, w.auth.owner)));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('Current password is incorrect');
    expect((await login('owner', PASSWORD)).status).toBe(401);
    expect((await login('owner', 'set by myself meanwhile')).status).toBe(200);
  });

  it('cannot undo another change landed while its new password was being hashed', async () => {
    const { request, w, login, whileHeld } = await world();
    const mine = await (await login('owner', PASSWORD)).json() as { token: string };
    const undo = () => request('/api/me/password', post({ currentPassword: PASSWORD, newPassword: 'mine, again and long' }, `Bearer ${mine.token}`));
    // The admin's change ended that session: the write is refused as the session's.
    expect((await whileHeld('hash', undo, () => request(`/api/users/${w.ids.owner}`, post({ password: 'set by the admin' }, w.auth.admin)))).status).toBe(401);
    expect((await login('owner', 'mine, again and long')).status).toBe(401);
    expect((await login('owner', 'set by the admin')).status).toBe(200);
  });

  it('cannot undo a change made while its new password was hashed, when its own session survives that change (one it made itself)', async () => {
    const { request, w, login, whileHeld } = await world();
    const undo = () => request('/api/me/password', post({ currentPassword: PASSWORD, newPassword: 'mine, again and long' }, w.auth.owner));
    const res = await whileHeld('hash', undo, () => request(`/api/users/${w.ids.owner}`, post({ password: 'set by myself meanwhile' }, w.auth.owner)));
    expect([res.status, ((await res.json()) as { error: { message: string } }).error.message]).toEqual([400, 'Current password is incorrect']);
    expect((await login('owner', 'set by myself meanwhile')).status).toBe(200);
  });

  it('answers 401 to a change of password whose user was deleted while the current one was checked', async () => {
    const { request, w, whileHeld, del } = await world();
    const change = () => request('/api/me/password', post({ currentPassword: PASSWORD, newPassword: 'mine, again and long' }, w.auth.owner));
    expect((await whileHeld('verify', change, del(`/api/users/${w.ids.owner}`, w.auth.admin))).status).toBe(401);
  });

  it('does not let an admin deleted meanwhile create an admin', async () => {
    const { request, w, meta, whileHeld, del } = await world();
    const second = await (await request('/api/users', post({ username: 'second-admin', password: 'long enough one', role: 'admin' }, w.auth.admin))).json() as { id: string };
    const token = await (await request('/api/auth/login', post({ username: 'second-admin', password: 'long enough one' }))).json() as { token: string };
    const backdoor = () => request('/api/users', post({ username: 'backdoor', password: 'long enough two', role: 'admin' }, `Bearer ${token.token}`));
    expect((await whileHeld('hash', backdoor, del(`/api/users/${second.id}`, w.auth.admin))).status).toBe(401);
    expect(meta.users.byUsername('backdoor')).toBeNull();
  });

  it('leaves an admin when two admins demote each other at once: the second finds itself no longer admin', async () => {
    const { request, w, h, meta } = await world();
    const second = await (await request('/api/users', post({ username: 'second-admin', password: 'long enough one', role: 'admin' }, w.auth.admin))).json() as { id: string };
    const token = await (await request('/api/auth/login', post({ username: 'second-admin', password: 'long enough one' }))).json() as { token: string };
    h.hold('hash', 2);
    const first = request(`/api/users/${second.id}`, post({ role: 'user', password: 'demoted one, long' }, w.auth.admin));
    await h.held(1);
    const other = request(`/api/users/${w.ids.admin}`, post({ role: 'user', password: 'demoted two, long' }, `Bearer ${token.token}`));
    await h.held(2);
    h.release(1);
    expect((await first).status).toBe(200);
    h.release();
    expect((await other).status).toBe(401);
    expect(meta.users.byId(w.ids.admin)!.role).toBe('admin');
    expect(meta.users.byId(second.id)!.role).toBe('user');
  });

  it('does not finish a password reset whose caller logged out meanwhile', async () => {
    const { request, w, login, whileHeld } = await world();
    const reset = () => request(`/api/users/${w.ids.owner}`, post({ password: 'the new one, long' }, w.auth.admin));
    expect((await whileHeld('hash', reset, () => request('/api/auth/logout', { method: 'POST', headers: { authorization: w.auth.admin! } }))).status).toBe(401);
    expect((await login('owner', PASSWORD)).status).toBe(200);
  });
});
