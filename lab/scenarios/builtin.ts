// The built-in scenarios: the YAML files beside this module in lab/scenarios/ (from dist/, the
// same folder of the package), run by name: `netlab scenario run load-balancing`.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** lab/scenarios/ of the source tree, from lab/scenarios/*.ts or dist/lab/scenarios/*.js. */
export function builtinDir(): string {
  for (const rel of ['./', '../../../lab/scenarios/']) {
    const dir = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(`${dir}load-balancing.yaml`)) return dir;
  }
  return fileURLToPath(new URL('./', import.meta.url));
}

/** The built-in scenarios' names, sorted. */
export function builtinScenarios(): string[] {
  try {
    return readdirSync(builtinDir())
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -'.yaml'.length))
      .sort();
  } catch {
    return [];
  }
}

/** A built-in's file for NAME; anything else is taken as a path. */
export function scenarioPath(nameOrFile: string): string {
  return builtinScenarios().includes(nameOrFile) ? `${builtinDir()}${nameOrFile}.yaml` : nameOrFile;
}
