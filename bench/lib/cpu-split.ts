/**
 * @module Where a benchmark's CPU goes, per request: the server's threads (request thread, writer,
 * collector, the rest), the load generator, and how busy the whole machine was (Linux /proc).
 *
 * Why: a ratio alone cannot say what limits it. On a 2-vCPU box with the generator beside the
 * server, two limits exist: the request thread (one core: requests/s ≤ 1e6 / its µs per request)
 * and the box (two cores shared by every thread and the generator). These figures say which one a
 * run hit, and so what would move it.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Kernel clock ticks per second for /proc times (USER_HZ; 100 on every Linux we run on). */
const HZ = (() => {
  try {
    const r = Bun.spawnSync(['getconf', 'CLK_TCK']);
    const n = Number(r.stdout.toString().trim());
    if (r.exitCode === 0 && n > 0) return n;
  } catch {
    // No getconf on the PATH: Linux's USER_HZ below.
  }
  return 100;
})();

/** User and system (kernel) ticks from the text of /proc/<pid>/task/<tid>/stat (the name may hold spaces and parentheses). */
export function statTimes(text: string): { user: number; system: number } {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the name: state is field 3, utime 14 and stime 15 (proc(5)), i.e. indexes 11 and 12 here.
  return { user: Number(fields[11]), system: Number(fields[12]) };
}

/** user + system ticks (see statTimes). */
export function statTicks(text: string): number {
  const t = statTimes(text);
  return t.user + t.system;
}

export type ThreadGroup = 'request' | 'writer' | 'gc' | 'other';

/**
 * A server thread's group from its id and name. The main thread (tid = pid) serves HTTP; Bun names
 * every Worker's thread "Worker" (Footfall's are the event writer and the WAL checkpointer, which
 * works only when the writer has written); JavaScriptCore's parallel collector threads are
 * "HeapHelper"; JIT compilers and Bun's pools are the rest.
 */
export function threadGroup(pid: number, tid: number, name: string): ThreadGroup {
  if (tid === pid) return 'request';
  if (name === 'Worker') return 'writer';
  if (name.startsWith('HeapHelper')) return 'gc';
  return 'other';
}

/** Ticks per thread group, plus the request thread's system (kernel) part of its own. */
export type GroupTicks = Record<ThreadGroup, number> & { requestKernel: number };

/**
 * Nanoseconds a thread has waited, runnable, for a CPU (the second figure of
 * /proc/<pid>/task/<tid>/schedstat; NaN when the kernel keeps no schedstat).
 */
export function schedWaitNs(text: string): number {
  const fields = text.trim().split(/\s+/);
  return fields.length >= 3 ? Number(fields[1]) : NaN;
}

/** One thread's group and CPU ticks so far. */
interface ThreadTicks {
  group: ThreadGroup;
  total: number;
  system: number;
  /** Run-queue wait so far, ns (schedWaitNs). */
  waitNs: number;
}

/** CPU ticks so far of each live thread of a process, by thread id. Threads that end between reads are skipped. */
function threadTicks(pid: number): Map<string, ThreadTicks> {
  const out = new Map<string, ThreadTicks>();
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const times = statTimes(readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8'));
      const name = readFileSync(`/proc/${pid}/task/${t}/comm`, 'utf8').trim();
      let waitNs = NaN;
      try {
        waitNs = schedWaitNs(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8'));
      } catch {
        // A kernel without CONFIG_SCHED_INFO: the wait stays unknown.
      }
      out.set(t, { group: threadGroup(pid, Number(t), name), total: times.user + times.system, system: times.system, waitNs });
    } catch {}
  }
  return out;
}

/**
 * What each group spent between two looks. A thread that ended in between is left out (its last
 * ticks are unknown; summing totals instead made a group's figure go negative), and one that
 * started in between counts from zero.
 */
function ticksBetween(before: Map<string, ThreadTicks>, after: Map<string, ThreadTicks>): GroupTicks & { requestWaitNs: number; writerWaitNs: number } {
  const out = { request: 0, writer: 0, gc: 0, other: 0, requestKernel: 0, requestWaitNs: 0, writerWaitNs: 0 };
  for (const [tid, a] of after) {
    const b = before.get(tid);
    out[a.group] += a.total - (b?.total ?? 0);
    if (a.group === 'request') {
      out.requestKernel += a.system - (b?.system ?? 0);
      out.requestWaitNs += a.waitNs - (b?.waitNs ?? 0);
    }
    if (a.group === 'writer') out.writerWaitNs += a.waitNs - (b?.waitNs ?? 0);
  }
  return out;
}

/** CPU ticks so far of each thread group of a live process. */
export function processTicks(pid: number): GroupTicks {
  return ticksBetween(new Map(), threadTicks(pid));
}

/** Busy and total ticks of the whole machine, from the first line of /proc/stat. */
export function machineTicks(text = readFileSync('/proc/stat', 'utf8')): { busy: number; total: number } {
  const cpu = text.slice(0, text.indexOf('\n')).trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = cpu[3]! + cpu[4]!;
  return { busy: total - idle, total };
}

export interface CpuSplit {
  /** Server CPU per request by thread group, µs. */
  requestUs: number;
  /**
   * The part of requestUs spent in the kernel (system time): receiving and sending on the socket,
   * waking the client, page faults. No change to Footfall's own code can remove most of it.
   */
  requestKernelUs: number;
  writerUs: number;
  gcUs: number;
  otherUs: number;
  /** The load generator's CPU per request, µs (NaN when not known). */
  generatorUs: number;
  /** Share of the request thread's wall time it was on a CPU (1 = saturated). */
  requestBusy: number;
  /**
   * Share of the request thread's wall time it was ready to run but waited for a CPU another
   * thread held (the writer, the generator). busy + waiting near 1 with the machine not busy
   * says the scheduler placed threads badly, not that work was missing (NaN: no schedstat).
   */
  requestWaiting: number;
  /** The same for the writer thread(s). */
  writerWaiting: number;
  /** Share of the whole machine's CPU time that was busy during the run (every process). */
  machineBusy: number;
}

/**
 * Starts counting the CPU of process `pid` (and of the whole machine). `stop()` ends the window;
 * its `split(requests)` divides what was spent by thread group per request. The load generator's
 * CPU, in µs, is either given to split() (wrk's own) or, with `generatorIsThisProcess`, this
 * process's over the window (the in-process load tool).
 */
export function cpuMeter(pid: number, generatorIsThisProcess = false): { stop(): { split(requests: number, generatorCpuUs?: number): CpuSplit } } {
  const before = threadTicks(pid);
  const m0 = machineTicks();
  const t0 = performance.now();
  const self0 = process.cpuUsage();
  return {
    stop() {
      const wallS = (performance.now() - t0) / 1000;
      const spent = ticksBetween(before, threadTicks(pid));
      const m1 = machineTicks();
      const self = process.cpuUsage(self0);
      return {
        split(requests, generatorCpuUs) {
          const gen = generatorIsThisProcess ? self.user + self.system : generatorCpuUs;
          const n = Math.max(1, requests);
          const us = (g: keyof GroupTicks) => (spent[g] * 1e6) / HZ / n;
          return {
            requestUs: us('request'),
            requestKernelUs: us('requestKernel'),
            writerUs: us('writer'),
            gcUs: us('gc'),
            otherUs: us('other'),
            generatorUs: gen === undefined ? NaN : gen / n,
            requestBusy: spent.request / HZ / wallS,
            requestWaiting: spent.requestWaitNs / 1e9 / wallS,
            writerWaiting: spent.writerWaitNs / 1e9 / wallS,
            machineBusy: (m1.busy - m0.busy) / Math.max(1, m1.total - m0.total),
          };
        },
      };
    },
  };
}

/** CPU time so far of a whole process (every thread), µs. */
export function processCpuUs(pid: number): number {
  return (statTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')) * 1e6) / HZ;
}

/**
 * Resolves true once process `pid`'s request thread starts working (its CPU moves by two ticks
 * between two looks 20 ms apart), false after `timeoutMs`. wrk first builds its request pool
 * (~0.5 s of its own CPU for 150k requests) while the server idles: the load starts only then.
 */
export async function whenServing(pid: number, timeoutMs = 10_000): Promise<boolean> {
  let last = processTicks(pid).request;
  for (const deadline = performance.now() + timeoutMs; performance.now() < deadline; ) {
    await Bun.sleep(20);
    const now = processTicks(pid).request;
    if (now - last >= 2) return true;
    last = now;
  }
  return false;
}

/** What a load run is handed so the CPU window opens when its load starts (see wrk.ts). */
export interface LoadStartHook {
  serverPid: number;
  /** Called with the generator's own CPU so far (µs), which the split then leaves out. */
  onLoadStart(generatorCpuUsSoFar: number): void;
}

/**
 * Runs `run` (a wrk run: its request count and its own CPU) and splits the CPU per request over
 * the load itself: the window reopens when `run` reports the load started.
 */
export async function measureCpu<T extends { requests: number; generatorCpuUs?: number }>(
  pid: number,
  run: (hook: LoadStartHook) => Promise<T>,
): Promise<{ result: T; cpu: CpuSplit }> {
  let meter = cpuMeter(pid);
  let generatorBefore = 0;
  const result = await run({
    serverPid: pid,
    onLoadStart(soFar) {
      meter = cpuMeter(pid);
      generatorBefore = soFar;
    },
  });
  const generator = result.generatorCpuUs === undefined ? undefined : result.generatorCpuUs - generatorBefore;
  return { result, cpu: meter.stop().split(result.requests, generator) };
}

/** The split as bench-line fields (µs per request and busy shares), under a prefix. */
export function cpuFields(c: CpuSplit, prefix = ''): Record<string, number> {
  const f: Record<string, number> = {
    [`${prefix}request_thread_us`]: c.requestUs,
    [`${prefix}request_thread_kernel_us`]: c.requestKernelUs,
    [`${prefix}request_thread_busy`]: c.requestBusy,
    [`${prefix}request_thread_waiting`]: c.requestWaiting,
  };
  if (c.writerUs > 0 || prefix === '') f[`${prefix}writer_us`] = c.writerUs;
  if (prefix === '') {
    f.writer_waiting = c.writerWaiting;
    f.gc_us = c.gcUs;
    f.other_threads_us = c.otherUs;
  }
  f[`${prefix}generator_us`] = c.generatorUs;
  f[`${prefix}machine_busy`] = c.machineBusy;
  return f;
}

/**
 * The best ratio to the bare server that `cores` CPUs allow at Footfall's measured CPU cost per
 * request, however its work were spread over threads. Every request costs Footfall's own µs (its
 * request thread's user time, and all the time of its other threads: the writer's inserts, fsyncs
 * and wake-ups, the collector's) plus the kernel's part of answering it and the generator's part
 * of sending it, both as the bare server's run measured them (the least they cost: at full speed
 * the client never idles and each answer wakes no sleeper). More request threads only spread this
 * cost; they cannot lower it, so a ratio target above the ceiling needs less CPU per request, or
 * CPUs the generator does not share. An estimate to hold a target against, not a bound to the
 * last percent: the µs were measured at the rate the run reached, and costs paid per batch or
 * per second (a commit, the collector) would weigh less per request at a higher one.
 */
export function cpuCeiling(footfall: CpuSplit, baseline: CpuSplit, baselineRps: number, cores: number): { footfallOwnUs: number; perRequestUs: number; ceilingRps: number; ceilingRatio: number } {
  const footfallOwnUs = footfall.requestUs - footfall.requestKernelUs + footfall.writerUs + footfall.gcUs + footfall.otherUs;
  const perRequestUs = footfallOwnUs + baseline.requestKernelUs + baseline.generatorUs;
  const ceilingRps = (cores * 1e6) / perRequestUs;
  return { footfallOwnUs, perRequestUs, ceilingRps, ceilingRatio: ceilingRps / baselineRps };
}

/** cpuCeiling() as bench-line fields, on this machine's CPU count. */
export function ceilingFields(footfall: CpuSplit, baseline: CpuSplit, baselineRps: number, cores = navigator.hardwareConcurrency): Record<string, number> {
  const c = cpuCeiling(footfall, baseline, baselineRps, cores);
  return { cores, footfall_own_us: c.footfallOwnUs, ceiling_ratio: c.ceilingRatio };
}
