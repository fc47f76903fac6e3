/**
 * What Linux's /proc says about a process and the machine: resident memory,
 * CPU time, and the limits a run of thousands of connections runs into.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** Resident set size in KiB (VmRSS). */
export function rssKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`/proc/${pid}/status has no VmRSS line`);
  return Number(match[1]);
}

let ticksPerSecond: number | undefined;

/** CPU seconds (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  ticksPerSecond ??= clockTicks();
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

function clockTicks(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100; // what every mainstream Linux build uses
  }
}

/** Something whose CPU time can be followed from a starting point. */
export interface CpuUse {
  /** CPU seconds used since the meter was made. */
  used(): number;
}

/** CPU use of a process over a stretch of time, as a share of one core. */
export class CpuMeter implements CpuUse {
  private readonly startCpu: number;
  private readonly startAt = performance.now();

  constructor(private readonly pid: number) {
    this.startCpu = cpuSeconds(pid);
  }

  /** CPU seconds used since the meter was made. */
  used(): number {
    return cpuSeconds(this.pid) - this.startCpu;
  }

  /** e.g. 0.95 for 95 % of one core since the meter was made. */
  share(): number {
    const elapsed = (performance.now() - this.startAt) / 1000;
    return elapsed > 0 ? this.used() / elapsed : 0;
  }
}

/**
 * CPU used by every process with a given command name (`postgres`: the
 * server, its backends and its writers) since the meter was made. A process
 * started meanwhile counts from its start; one that exited meanwhile is lost.
 */
export class CommandCpuMeter implements CpuUse {
  private readonly start: Map<number, number>;

  constructor(private readonly command: string) {
    this.start = this.read();
  }

  used(): number {
    let sum = 0;
    for (const [pid, seconds] of this.read()) sum += seconds - (this.start.get(pid) ?? 0);
    return sum;
  }

  private read(): Map<number, number> {
    const found = new Map<number, number>();
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() === this.command) found.set(Number(entry), cpuSeconds(Number(entry)));
      } catch {
        // Gone between the listing and the read.
      }
    }
    return found;
  }
}

/** The soft limit on open files this process (and so every child it starts) has. */
export function openFileLimit(): number {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
  return !match || match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
}

/** How many local ports outgoing connections can use (net.ipv4.ip_local_port_range). */
export function ephemeralPorts(): number {
  try {
    const [low, high] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return high! - low! + 1;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}
