/**
 * @module Test preload: pins the time zone so timestamp formatting is the same on every machine,
 * and gives every test 60 s instead of Bun's 5 s (end-to-end tests start the compiled binary on a
 * shared 2-core machine; bunfig.toml has no timeout setting that Bun reads).
 */
import { setDefaultTimeout } from 'bun:test';

process.env.TZ = 'UTC';
setDefaultTimeout(60_000);
