/** Process helpers shared by the benchmarks. */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export { freePort } from '../test/helpers/servers.js';

/** Resolves when `proc` prints Redis's (or our) ready line; rejects if it exits first or after 15 s. */
export function waitReady(proc: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Cannot start ${what}: not ready after 15 s:\n${out}`)), 15_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    proc.stdout?.on('data', onData);
    proc.stderr?.on('data', onData);
    proc.once('exit', (code) => reject(new Error(`Cannot start ${what}: exited with code ${code}:\n${out}`)));
  });
}

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = 100;

/**
 * CPU time (user + system) process `pid` has used so far, in ms, from
 * /proc/<pid>/stat (10 ms resolution); with `mainThreadOnly`, only its main
 * thread (/proc/<pid>/task/<pid>/stat: for Node, the event loop, without
 * the GC and I/O helper threads). Throws when the file cannot be read (not
 * Linux, or the process is gone).
 */
export function cpuMs(pid: number, mainThreadOnly = false): number {
  const stat = readFileSync(mainThreadOnly ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'latin1');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLOCK_TICKS;
}

/** Resident set size of process `pid` in kB, from /proc/<pid>/status. */
export function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`Cannot read VmRSS of process ${pid}`);
  return Number(m[1]);
}
