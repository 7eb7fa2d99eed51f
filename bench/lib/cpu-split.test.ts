import { describe, expect, it } from 'bun:test';
import { closeSync, openSync, readdirSync, writeSync } from 'node:fs';
import { ceilingFields, cpuCeiling, cpuFields, cpuMeter, machineTicks, processCpuUs, processTicks, schedWaitNs, statTicks, statTimes, threadGroup, whenServing, type CpuSplit } from './cpu-split.ts';

describe('cpu-split', () => {
  it('reads user + system ticks after a thread name holding spaces and parentheses', () => {
    // proc(5): pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime …
    const text = '4242 (Bun Pool (1) x) S 1 4242 4242 0 -1 4194560 1200 0 3 0 731 269 0 0 20 0 9 0 100 0 0';
    expect(statTicks(text)).toBe(1000);
    expect(statTimes(text)).toEqual({ user: 731, system: 269 });
  });

  it('groups the main thread as the request thread, "Worker" as the writer and HeapHelper as the collector', () => {
    expect(threadGroup(100, 100, 'footfall')).toBe('request');
    expect(threadGroup(100, 107, 'Worker')).toBe('writer');
    expect(threadGroup(100, 108, 'HeapHelper')).toBe('gc');
    expect(threadGroup(100, 109, 'JITWorker')).toBe('other');
    expect(threadGroup(100, 110, 'Bun Pool 0')).toBe('other');
  });

  it('reads the run-queue wait, in ns, from a schedstat line', () => {
    // schedstat: time on a CPU (ns), time waiting on a run queue (ns), timeslices run.
    expect(schedWaitNs('1850331412 207845120 38773\n')).toBe(207845120);
    expect(schedWaitNs('')).toBeNaN();
  });

  it('counts a thread that waits for the CPU another thread holds as waiting, not busy', async () => {
    // Two processes spinning on one CPU (taskset: util-linux, essential on Debian): each is on it
    // about half the time and waits for it the other half.
    const code = `const u = performance.now() + 600; let x = 0; while (performance.now() < u) x += Math.sqrt(x + 1);`;
    const spin = () => Bun.spawn(['taskset', '-c', '0', process.execPath, '-e', code], { stdout: 'ignore', stderr: 'ignore' });
    const a = spin();
    const b = spin();
    await Bun.sleep(150);
    const meter = cpuMeter(a.pid);
    await Bun.sleep(300);
    const split = meter.stop().split(1);
    await Promise.all([a.exited, b.exited]);
    expect(split.requestBusy).toBeGreaterThan(0.2);
    expect(split.requestBusy).toBeLessThan(0.8);
    expect(split.requestWaiting).toBeGreaterThan(0.2);
    expect(split.requestBusy + split.requestWaiting).toBeGreaterThan(0.85);
  });

  it('counts idle and iowait as idle time of the machine', () => {
    const stat = 'cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\n';
    expect(machineTicks(stat)).toEqual({ busy: 160, total: 980 });
  });

  it('charges CPU burnt on the main thread of a live process to its request thread', () => {
    const meter = cpuMeter(process.pid, true);
    const until = performance.now() + 150;
    let x = 0;
    while (performance.now() < until) x += Math.sqrt(x + 1);
    const split = meter.stop().split(1000);
    expect(x).toBeGreaterThan(0);
    // ~150 ms over 1000 "requests" ≈ 150 µs each; ticks are 10 ms, so allow a wide margin.
    expect(split.requestUs).toBeGreaterThan(50);
    expect(split.requestUs).toBeLessThan(1000);
    expect(split.generatorUs).toBeGreaterThan(50);
    expect(split.requestBusy).toBeGreaterThan(0.3);
    expect(split.machineBusy).toBeGreaterThan(0);
    expect(split.machineBusy).toBeLessThanOrEqual(1);
    expect(processTicks(process.pid).request).toBeGreaterThan(0);
    // Pure computation: next to nothing of it is the kernel's.
    expect(split.requestKernelUs).toBeLessThan(split.requestUs / 2);
  });

  it('charges system calls made on the main thread to its kernel share', () => {
    const meter = cpuMeter(process.pid);
    const until = performance.now() + 200;
    const fd = openSync('/dev/null', 'w');
    const buf = new Uint8Array(64);
    let calls = 0;
    try {
      // Each write is a trip into the kernel and back with almost no work on either side.
      while (performance.now() < until) for (let i = 0; i < 100; i++, calls++) writeSync(fd, buf);
    } finally {
      closeSync(fd);
    }
    const split = meter.stop().split(1000);
    expect(calls).toBeGreaterThan(1000);
    expect(split.requestKernelUs).toBeGreaterThan(20);
    expect(split.requestKernelUs).toBeLessThanOrEqual(split.requestUs);
  });

  it('leaves out a thread that ends during the window, and counts one that starts from zero', async () => {
    // Bun names a Worker's thread "Worker": the writer group.
    const burner = (ms: number) => {
      // The interval keeps the thread alive until terminate(): a Worker whose event loop runs dry
      // ends by itself, and could end before the meter's second look (then left out, as it should be).
      const code = `const end = performance.now() + ${ms}; let x = 0; while (performance.now() < end) x += Math.sqrt(x + 1); postMessage(x); setInterval(() => {}, 1 << 30);`;
      const w = new Worker(URL.createObjectURL(new Blob([code], { type: 'application/javascript' })));
      return { w, burnt: new Promise((resolve) => (w.onmessage = resolve)) };
    };
    const threads = () => readdirSync('/proc/self/task').length;
    const early = burner(150);
    await early.burnt;
    const meter = cpuMeter(process.pid);
    const before = threads();
    early.w.terminate();
    for (let i = 0; i < 100 && threads() >= before; i++) await Bun.sleep(10);
    const late = burner(150);
    await late.burnt;
    const split = meter.stop().split(1000);
    late.w.terminate();
    // The early thread's 150 ms were spent before the window: subtracting them once it is gone
    // would give about -150 µs per request. The late one's ~150 ms are in it (~150 µs).
    expect(split.writerUs).toBeGreaterThan(50);
    expect(split.writerUs).toBeLessThan(1000);
  });

  it('prints the baseline without writer or collector fields', () => {
    const split = { requestUs: 9, requestKernelUs: 6, writerUs: 0, gcUs: 0, otherUs: 0.1, generatorUs: 8.5, requestBusy: 0.97, requestWaiting: 0.01, writerWaiting: 0, machineBusy: 0.99 };
    expect(Object.keys(cpuFields(split, 'baseline_'))).toEqual(['baseline_request_thread_us', 'baseline_request_thread_kernel_us', 'baseline_request_thread_busy', 'baseline_request_thread_waiting', 'baseline_generator_us', 'baseline_machine_busy']);
    expect(cpuFields({ ...split, writerUs: 6 })).toMatchObject({ request_thread_us: 9, writer_us: 6, gc_us: 0, other_threads_us: 0.1 });
  });

  it('says when an idle process starts working, and gives up on one that stays idle', async () => {
    // Each child says "ready" once its own start-up (which costs CPU too) is over.
    const child = async (code: string) => {
      const p = Bun.spawn([process.execPath, '-e', `console.log('ready'); ${code}`], { stdout: 'pipe', stderr: 'ignore' });
      await p.stdout.getReader().read();
      return p;
    };
    const late = await child('await Bun.sleep(300); const end = performance.now() + 3000; while (performance.now() < end);');
    const idle = await child('await Bun.sleep(3000);');
    try {
      const t0 = performance.now();
      expect(await whenServing(late.pid, 5000)).toBe(true);
      expect(performance.now() - t0).toBeGreaterThan(200);
      expect(processCpuUs(late.pid)).toBeGreaterThan(0);
      expect(await whenServing(idle.pid, 400)).toBe(false);
    } finally {
      late.kill();
      idle.kill();
      await Promise.all([late.exited, idle.exited]);
    }
  });
  it('puts the ceiling where two cores run out: Footfall\'s own µs (request thread user time, every other thread\'s) plus the bare server\'s kernel and generator µs per request', () => {
    const split = (o: Partial<CpuSplit>): CpuSplit => ({
      requestUs: 0, requestKernelUs: 0, writerUs: 0, gcUs: 0, otherUs: 0, generatorUs: 0,
      requestBusy: 1, requestWaiting: 0, writerWaiting: 0, machineBusy: 1, ...o,
    });
    // Footfall: 60 µs on the request thread (20 of it kernel), 15 on the writer, 3 collecting, 2 else → 60 µs of its own.
    const footfall = split({ requestUs: 60, requestKernelUs: 20, writerUs: 15, gcUs: 3, otherUs: 2, generatorUs: 30 });
    // The bare server: 10 µs of kernel per answer, the generator 20 µs per request, at 50k req/s.
    const baseline = split({ requestUs: 14, requestKernelUs: 10, generatorUs: 20 });
    const c = cpuCeiling(footfall, baseline, 50_000, 2);
    expect(c.footfallOwnUs).toBe(60);
    expect(c.perRequestUs).toBe(90);
    expect(c.ceilingRps).toBeCloseTo(2e6 / 90, 6);
    expect(c.ceilingRatio).toBeCloseTo(2e6 / 90 / 50_000, 6);
    // Twice the cores, twice the ceiling: threads can use them; on two, they only share the same cost.
    expect(cpuCeiling(footfall, baseline, 50_000, 4).ceilingRatio).toBeCloseTo(2 * c.ceilingRatio, 6);
    expect(ceilingFields(footfall, baseline, 50_000, 2)).toEqual({ cores: 2, footfall_own_us: 60, ceiling_ratio: c.ceilingRatio });
  });
});
