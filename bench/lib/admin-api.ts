/** @module Bench helper: log in to a running Footfall as admin and create what a workload needs (website, write key, pixel). */

export async function adminSession(url: string, password = 'bench-admin-password'): Promise<{ auth: Record<string, string> }> {
  const res = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password }) });
  if (res.status !== 200) throw new Error(`login answered ${res.status}`);
  const { token } = (await res.json()) as { token: string };
  return { auth: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } };
}

export async function createWebsite(url: string, auth: Record<string, string>, domain: string): Promise<{ id: string; writeKey: string }> {
  const res = await fetch(`${url}/api/websites`, { method: 'POST', headers: auth, body: JSON.stringify({ name: domain, domain }) });
  if (res.status !== 200) throw new Error(`create website answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as { id: string; writeKey: string };
}
