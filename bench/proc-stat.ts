// CPU time from /proc, for the load test: a process tree's own (the API and its workers, the postmaster and its
// backends), and the machine's, split into what was stolen by the hypervisor and the rest.
import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: /proc reports process times in these ticks (100 on every Linux this runs on). */
export const CLOCK_TICKS = 100;

function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null; // the process ended while we looked
  }
}

/** Fields after the command: [11] utime, [12] stime, [13] cutime, [14] cstime (proc(5), 0-based from state). */
const ownAndReaped = (fields: string[]) => Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);

/**
 * A process tree's CPU ticks: the root's own and reaped children's time, plus each live child's.
 * Backends come and go during a run (a burst opens and closes connections); summing only the live processes seen
 * at the start lost every ended backend's ticks and printed a negative DB CPU. A child that ends between two reads
 * is counted once: live in the first, reaped into the root's cutime in the second.
 */
export function treeCpuTicks(root: number | null): number {
  if (root === null) return 0;
  const rootFields = statFields(root);
  if (rootFields === null) return 0;
  let ticks = ownAndReaped(rootFields);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (fields !== null && Number(fields[1]) === root) ticks += ownAndReaped(fields);
  }
  return ticks;
}

/** The machine's CPU time so far, all cores together: the total, the idle part and the part stolen by the hypervisor. */
export type MachineCpu = { total: number; idle: number; steal: number };

/**
 * From the `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal guest guest_nice. guest and
 * guest_nice are already inside user and nice, so the total is the first eight. Null where /proc/stat is absent.
 */
export function machineCpu(): MachineCpu | null {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  const line = text.split('\n').find((row) => row.startsWith('cpu '));
  if (line === undefined) return null;
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 8 || fields.some((value) => !Number.isFinite(value))) return null;
  return { total: fields.reduce((sum, value) => sum + value, 0), idle: (fields[3] ?? 0) + (fields[4] ?? 0), steal: fields[7] ?? 0 };
}

/** The share of the machine's CPU time stolen between two readings, in percent; null when unknown. */
export function stealPercent(before: MachineCpu | null, after: MachineCpu | null): number | null {
  if (before === null || after === null) return null;
  const total = after.total - before.total;
  return total > 0 ? ((after.steal - before.steal) / total) * 100 : null;
}

/**
 * The machine's busy share between two readings, in percent of all cores (steal and idle excluded). Less the
 * run's own processes, it is what other work on the machine took: a quiet machine shows a few percent.
 */
export function busyPercent(before: MachineCpu | null, after: MachineCpu | null): number | null {
  if (before === null || after === null) return null;
  const total = after.total - before.total;
  const busy = total - (after.idle - before.idle) - (after.steal - before.steal);
  return total > 0 ? (busy / total) * 100 : null;
}

/** Above this, a run's figures say more about the neighbours than about the code. */
export const NOISY_STEAL_PERCENT = 5;

export function formatSteal(percent: number | null): string {
  if (percent === null) return 'n/a';
  return `${percent.toFixed(1)} %${percent > NOISY_STEAL_PERCENT ? ' noisy' : ''}`;
}

/**
 * CPU ticks of this process's children that have ended and been reaped (its cutime + cstime): the difference
 * around a child's run is that child's CPU, when no other child ends meanwhile (the load test's wrk runs).
 */
export function reapedChildrenTicks(): number {
  const fields = statFields(process.pid);
  return fields === null ? 0 : Number(fields[13]) + Number(fields[14]);
}
