// How a `netlab` command ends on an error: decided here, for every command, and nowhere else.
// A command throws; runProgram (what lab/cli.ts runs) hands the error to errorReport and writes
// what it returns (the kubectl-like commands, which tests run with buffers for I/O, call errorReport
// themselves). An error the user can act on is a NetlabError (std/errors.ts): its text
// goes to stderr in the command's words, without a stack, and the exit status is the error's
// `exitCode` when the command imitates a tool whose status means something (dig 10, ip 2), else 1.
// Anything else is a bug: errorReport leaves it alone and the process dies with its stack trace.
import type { Command, ParseOptions } from 'commander';
import { NetlabError } from '../../std/index.js';
// It imports nothing of the lab: every command loads it, and `netlab dig` should not load the lab.

/** A flag or argument a command cannot use (its name, UsageError, is NetlabError's doing). */
export class UsageError extends NetlabError {
  readonly code = 'NETLAB_CLI_USAGE';
}

/** The part of a kube-apiserver Status that kubectl's words for a failure use. */
export interface FailureStatus {
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: { field?: string; message?: string }[] };
}

/** How kubectl prints a failed request: `Invalid` with its causes as a list, others as the server said. */
export function formatStatus(s: FailureStatus): string {
  // kubectl's words for a request the server did not authenticate.
  if (s.code === 401) return `error: You must be logged in to the server (${s.message || 'Unauthorized'})`;
  if (s.reason === 'Invalid' && s.details?.causes?.length) {
    const kind = s.details.kind ? s.details.kind[0]!.toUpperCase() + s.details.kind.slice(1) : 'object';
    return `The ${kind} "${s.details.name ?? ''}" is invalid: \n${s.details.causes
      .map((c) => `* ${c.field ? `${c.field}: ` : ''}${c.message ?? ''}`)
      .join('\n')}`;
  }
  return `Error from server${s.reason ? ` (${s.reason})` : ''}: ${s.message ?? ''}`;
}

/** What a command writes on stderr for an error, and the status it exits with. */
export interface ErrorReport {
  stderr: string;
  exitCode: number;
}

/**
 * How each command words its errors, by its first word (`dns` for `dns serve`, `cni` for `cni ip
 * route`). Unlisted commands print `error: MESSAGE`, as kubectl does.
 * - `cni`: as cnitool, the message alone; `scenario`: the problems by file and line, alone;
 * - `resolve`: `netlab resolve: MESSAGE`, as a libc tool prefixes its name;
 * - `up`: manifests or cluster.yaml that were refused list every problem, then `error: nothing applied`.
 */
const wording: Readonly<Record<string, (e: NetlabError) => string>> = {
  cni: (e) => e.message,
  scenario: (e) => e.message,
  resolve: (e) => `netlab resolve: ${e.message}`,
  up: (e) =>
    e.code === 'NETLAB_LAB_BOOT' || e.code === 'NETLAB_LAB_CLUSTER_CONFIG'
      ? `${e.message}\nerror: nothing applied`
      : `error: ${e.message}`,
};

/** A command's words from the program's name on (`dns serve`). */
function commandPath(cmd: Command): string {
  const words: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) words.unshift(c.name());
  return words.join(' ');
}

/**
 * Runs the command `argv` names; a NetlabError it throws goes to stderr in the command's words and
 * sets the exit status; anything else is a bug and is rethrown (Node prints its stack and exits 1).
 */
export async function runProgram(
  program: Command,
  argv: readonly string[],
  options?: ParseOptions,
): Promise<void> {
  let running = '';
  program.hook('preAction', (_program, action) => {
    running = commandPath(action);
  });
  try {
    await program.parseAsync(argv, options);
  } catch (e) {
    const report = errorReport(e, running);
    if (report === undefined) throw e;
    process.stderr.write(report.stderr);
    process.exitCode = report.exitCode;
  }
}

/**
 * The report for `e` thrown by `command` (its words from the program's name on: `dns serve`), or
 * undefined when `e` is a bug. An error of the kube-API client (NETLAB_CLIENT_*) reads as kubectl
 * prints it, in every command: the server's Status as `Error from server (Reason): ...`, manifests
 * that could not be applied as their problems, anything else as `error: MESSAGE`.
 */
export function errorReport(e: unknown, command: string): ErrorReport | undefined {
  if (!(e instanceof NetlabError)) return undefined;
  const exitCode = e.exitCode ?? 1;
  // lab/client's ApiStatusError: the server's Status.
  if (e.code === 'NETLAB_CLIENT_STATUS' && 'status' in e)
    return { stderr: `${formatStatus(e.status as FailureStatus)}\n`, exitCode };
  if (e.code === 'NETLAB_CLIENT_MANIFESTS') return { stderr: `${e.message}\n`, exitCode };
  if (e.code.startsWith('NETLAB_CLIENT')) return { stderr: `error: ${e.message}\n`, exitCode };
  const word = wording[command.split(' ')[0] ?? ''];
  return { stderr: `${word === undefined ? `error: ${e.message}` : word(e)}\n`, exitCode };
}
