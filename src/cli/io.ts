import { promptLine, promptSecret } from './prompt.js';

/** Everything a command touches outside its arguments, so tests can replace it. */
export interface CliIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Whether a person can answer prompts (stdin is a TTY). */
  readonly interactive: boolean;
  writeOut(text: string): void;
  writeErr(text: string): void;
  promptLine(question: string): Promise<string>;
  /** Reads a line without echoing it. */
  promptSecret(question: string): Promise<string>;
}

export function processIo(): CliIo {
  return {
    env: process.env,
    cwd: process.cwd(),
    interactive: process.stdin.isTTY === true,
    writeOut: (text) => void process.stdout.write(text),
    writeErr: (text) => void process.stderr.write(text),
    promptLine,
    promptSecret,
  };
}
