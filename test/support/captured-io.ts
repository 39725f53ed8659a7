import type { CliIo } from '../../src/cli/io.js';

/** The CLI's I/O for a test: no environment, no terminal, output and errors kept apart. */
export function capturedIo(cwd: string): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    env: {},
    cwd,
    interactive: false,
    out,
    err,
    writeOut: (text) => void out.push(text),
    writeErr: (text) => void err.push(text),
    promptLine: () => Promise.reject(new Error('no prompt')),
    promptSecret: () => Promise.reject(new Error('no prompt')),
  };
}
