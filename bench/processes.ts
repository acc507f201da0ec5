/** Process helpers shared by the memory benchmarks. */
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

/** Resident set size of process `pid` in kB, from /proc/<pid>/status. */
export function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!m) throw new Error(`Cannot read VmRSS of process ${pid}`);
  return Number(m[1]);
}
