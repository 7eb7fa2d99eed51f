/** @module nextTurn() → a promise settled on the event loop's next turn (setImmediate), so that other requests, timers and the write buffer run between two slices of a long job. */
export const nextTurn = (): Promise<void> => new Promise<void>((resolve) => setImmediate(resolve));
