import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from './commands/audit.js';
import { registerBenchCommand } from './commands/bench.js';
import { registerClusterInitCommand } from './commands/cluster-init.js';
import { registerClusterCommands } from './commands/cluster.js';
import { registerClusterNodeCommands, registerNodeJoinCommands } from './commands/cluster-nodes.js';
import { registerCryptoCommands } from './commands/crypto.js';
import { registerKeyCommands } from './commands/key.js';
import { registerNodeCommands } from './commands/node.js';
import { registerQuorumCommands } from './commands/quorum.js';
import { registerUserCommands } from './commands/user.js';
import { registerXksCommands } from './commands/xks.js';
import { CliError } from './errors.js';
import { processIo, type CliIo } from './io.js';
import { humanFailure, jsonFailure } from './output.js';
import type { CliContext } from './run.js';

/** The `coffer` command tree, writing through `ctx.io`. */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('coffer')
    .description('Coffer: a clustered software HSM (the AWS CloudHSM model on your own machines)')
    .exitOverride()
    .showSuggestionAfterError()
    .configureOutput({ writeOut: (text) => ctx.io.writeOut(text), writeErr: (text) => ctx.io.writeErr(text) });
  const cluster = registerClusterCommands(program, ctx);
  registerClusterInitCommand(cluster);
  registerClusterNodeCommands(cluster, ctx);
  registerUserCommands(program, ctx);
  registerQuorumCommands(program, ctx);
  registerKeyCommands(program, ctx);
  registerCryptoCommands(program, ctx);
  registerAuditCommands(program, ctx);
  registerXksCommands(program, ctx);
  registerBenchCommand(program, ctx);
  registerNodeJoinCommands(registerNodeCommands(program), ctx);
  // Every sub-command inherits the output routing and exit override.
  const inherit = (command: Command): void => {
    for (const child of command.commands) {
      child
        .exitOverride()
        .configureOutput({ writeOut: (text) => ctx.io.writeOut(text), writeErr: (text) => ctx.io.writeErr(text) });
      inherit(child);
    }
  };
  inherit(program);
  return program;
}

/** Runs `coffer` with `argv` (the user's arguments, without node and the script); returns the exit code. */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const json = argv.includes('--json');
  const ctx: CliContext = { io, exitCode: 0 };
  const program = buildProgram(ctx);
  if (json) {
    // Usage errors become the JSON failure shape instead of commander's text.
    const silence = (command: Command): void => {
      command.configureOutput({
        writeOut: (text) => io.writeOut(text),
        writeErr: () => undefined,
        outputError: () => undefined,
      });
      command.commands.forEach(silence);
    };
    silence(program);
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0;
      if (json)
        io.writeOut(`${jsonFailure(new CliError('INVALID_ARGUMENT', error.message.replace(/^error: /, '')))}\n`);
      return error.exitCode === 0 ? 0 : 1;
    }
    if (json) io.writeOut(`${jsonFailure(error)}\n`);
    else io.writeErr(`${humanFailure(error)}\n`);
    return 1;
  }
  return ctx.exitCode;
}

function runDirectly(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (runDirectly()) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`${humanFailure(error)}\n`);
      process.exitCode = 1;
    },
  );
}
