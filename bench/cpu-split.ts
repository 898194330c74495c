import { readdirSync, readFileSync } from 'node:fs';

import type { Queryable } from '../src/db/pool.js';

/**
 * CPU time spent by the PostgreSQL server of a benchmark, read from /proc (Linux): on a machine
 * whose cores are shared by the load generator, the service and the database, wall-clock figures
 * move with whatever else runs, while CPU milliseconds per record show where the work goes and
 * compare two versions of the code fairly. Elsewhere (no /proc) the figures are null.
 */

// Linux reports utime/stime in clock ticks of USER_HZ, 100 on every mainstream kernel.
const TICK_MS = 10;

interface Stat {
  ppid: number;
  /** utime + stime of the process itself, ms. */
  ownMs: number;
  /** cutime + cstime: children it has waited for (exited backends), ms. */
  reapedMs: number;
}

function readStat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the fields follow its last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const tick = (i: number) => Number(fields[i]) * TICK_MS;
    return { ppid: Number(fields[1]), ownMs: tick(11) + tick(12), reapedMs: tick(13) + tick(14) };
  } catch {
    return null;
  }
}

/** CPU ms of the postmaster and all its processes, those that exited included. */
function serverCpuMs(postmasterPid: number): number | null {
  const postmaster = readStat(postmasterPid);
  if (!postmaster) return null;
  let total = postmaster.ownMs + postmaster.reapedMs;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat?.ppid === postmasterPid) total += stat.ownMs;
  }
  return total;
}

export interface ServerCpu {
  /** CPU ms of the server since the last call (null: not measurable here). */
  sinceLastMs(): number | null;
}

/** Follows the CPU of the server behind `db`, if it runs on this machine. */
export async function followServerCpu(db: Queryable): Promise<ServerCpu> {
  const { rows } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const postmasterPid = readStat(rows[0]!.pid)?.ppid;
  let last = postmasterPid === undefined ? null : serverCpuMs(postmasterPid);
  return {
    sinceLastMs() {
      if (postmasterPid === undefined || last === null) return null;
      const now = serverCpuMs(postmasterPid);
      const spent = now === null ? null : now - last;
      last = now;
      return spent;
    },
  };
}

/** This process's CPU ms (user + system). */
export const ownCpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

/** CPU ms per 1,000 records of this process (the service, or the COPY client), the server and the load generator. */
export interface CpuSplit {
  process: number;
  postgres: number | null;
  load: number;
}

/** CPU counters read when the measured window opens and closes. */
export function cpuWindow(server: ServerCpu) {
  let processMs = 0;
  let serverMs: number | null = null;
  let ended = false;
  return {
    start: () => {
      processMs = ownCpuMs();
      server.sinceLastMs();
    },
    end: () => {
      if (ended) return;
      ended = true;
      processMs = ownCpuMs() - processMs;
      serverMs = server.sinceLastMs();
    },
    split: (records: number, loadMs: number): CpuSplit => {
      const per1000 = (ms: number) => Math.round((10_000 * ms) / Math.max(records, 1)) / 10;
      return { process: per1000(processMs), postgres: serverMs === null ? null : per1000(serverMs), load: per1000(loadMs) };
    },
  };
}
