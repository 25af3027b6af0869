import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/rekindle.js', import.meta.url));

export interface ChildServer {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  /** Everything the process wrote so far. */
  output(): { stdout: string; stderr: string };
}

/** Runs `rekindle serve` as a real separate process, so it can be killed with SIGKILL. */
export const startChildServer = async (
  env: Record<string, string>,
  args: readonly string[] = ['--port', '0'],
): Promise<ChildServer> => {
  const child = spawn(
    process.execPath,
    [...(process.env['REKINDLE_CHILD_NODE_ARGS']?.split(' ') ?? []), BIN, 'serve', ...args],
    {
      env: { ...process.env, LOG_LEVEL: 'error', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  let stderr = '';
  let out = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 60_000);
    child.stdout?.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${stderr}`)));
  });
  return { child, url, exited, output: () => ({ stdout: out, stderr }) };
};
