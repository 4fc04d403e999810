import type { Command } from 'commander';

/** Registers this area's subcommands on the `netlab` program. */
export function registerResolve(_program: Command): void {}
