/** @module The far side of bench/thread-handoff.ts: answers each message with a session-sized reply. */
declare const self: Worker;
self.onmessage = (e: MessageEvent<{ id: number; device: number; path: string }>) => {
  self.postMessage({ id: e.data.id, sessionId: '0193a8e2-7c4b-7d11-8e5f-3b2a1c0d9e8f', visitorId: 'prisme_3f2a9c1e0b7d4a65', found: e.data.path.length > 0 });
};
