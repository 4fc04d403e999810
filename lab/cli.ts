#!/usr/bin/env node
// The `netlab` command line (lab/program.ts builds it).
import { buildProgram } from './program.js';

await (await buildProgram(process.argv)).parseAsync(process.argv);
