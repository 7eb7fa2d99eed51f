/** @module Test preload: pins the time zone so timestamp formatting is the same on every machine, and removes the tests' temporary directories and any server a failed test left running. */
import { afterAll } from 'bun:test';
import { removeTempDirs } from './temp-dir.ts';
import { killLeftoverBinaries } from './binary.ts';

process.env.TZ = 'UTC';
// A hook in the preload runs after the tests (process 'exit' handlers do not run under bun test).
afterAll(() => {
  killLeftoverBinaries();
  removeTempDirs();
});
