/** @module The engine settings `serve` runs with (HEAP_SETTINGS), and those the environment lacks: the ones its process image is replaced to add. */

/**
 * JavaScriptCore sizes its heap for the machine's RAM: on a 24 GB box it let garbage pile up to
 * ~255 MB RSS under the Prisme benchmark, where sizing for 1 GiB held it at ~185 MB at the same
 * speed. mimalloc keeps freed pages for 10 ms by default; handing them back at once costs nothing
 * measurable and drops the start-up password hash's memory before the first request (111 → 73 MB).
 * A collection once the heap has grown to 1.6× what the last one left (JSC's default for heaps
 * under a quarter of RAM is 2×) brings the 1M-address load and its export read-back from ~172–179
 * to ~142–153 MB for up to ~5 % of request-thread CPU on Umami hits (none measurable on the mixed
 * load); 1.5 cost far more collections for little memory. While a collection runs concurrently the
 * heap may grow 1.5× past its trigger by default; stopping the program at 1.1× instead let the
 * collector finish sooner on a 2-core box shared with the load: 8 alternating runs, mixed load
 * +2–6 % req/s, 1M-address load peak ~3 MB lower.
 * The options are read only when the engine starts, so `serve` replaces its own process image
 * (same pid, same arguments) once with them set (main.ts, where it can: Linux with
 * process.execve); an operator's own value of any of them wins.
 */
export const HEAP_SETTINGS: Readonly<Record<string, string>> = {
  BUN_JSC_forceRAMSize: String(1 << 30),
  BUN_JSC_smallHeapGrowthFactor: '1.6',
  BUN_JSC_concurrentGCMaxHeadroom: '1.1',
  MIMALLOC_PURGE_DELAY: '0',
};

/** The engine settings sizeHeapForService() would add, or none when it will not replace the process image. */
export function missingHeapSettings(env: Record<string, string | undefined>, canReplaceImage: boolean): [string, string][] {
  if (!canReplaceImage) return [];
  return Object.entries(HEAP_SETTINGS).filter(([k]) => env[k] === undefined);
}

/** Whether `serve` is about to replace its process image (and start over with these options). */
export function replacesImage(env: Record<string, string | undefined>, canReplaceImage: boolean): boolean {
  return missingHeapSettings(env, canReplaceImage).length > 0;
}
