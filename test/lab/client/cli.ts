// What the client tests share: the commands run in-process.
import { Command, CommanderError } from 'commander';
import { registerClient } from '../../../lab/commands/client.js';

/**
 * The client commands run in this process (commander as the `netlab` bin sets it up, output into
 * buffers): a child process per command would cost seconds each on a busy machine.
 */
export async function cli(
  args: string[],
  onStdout: (soFar: string) => void = () => {},
): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = '';
  let stderr = '';
  let code = 0;
  const program = new Command('netlab').exitOverride().configureOutput({
    writeOut: (s) => {
      stdout += s;
    },
    writeErr: (s) => {
      stderr += s;
    },
  });
  registerClient(program, {
    stdout: (text) => {
      stdout += text;
      onStdout(stdout);
    },
    stderr: (text) => {
      stderr += text;
    },
    fail: (c) => {
      code = c;
    },
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (!(e instanceof CommanderError)) throw e;
    code = e.exitCode;
  }
  return { stdout, stderr, code };
}
