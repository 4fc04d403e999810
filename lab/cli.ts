#!/usr/bin/env node
// The `netlab` command line (lab/program.ts builds it). Every command's error ends in runProgram
// (lab/run/errors.ts).
import { buildProgram } from './program.js';
import { runProgram } from './run/errors.js';

await runProgram(await buildProgram(process.argv), process.argv);
