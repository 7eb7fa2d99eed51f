/** @module Test preload: pins the time zone so timestamp formatting is the same on every machine. */
process.env.TZ = 'UTC';
