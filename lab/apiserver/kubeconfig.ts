// The kubeconfig `netlab up` writes so kubectl and client-go find the lab: one cluster, user and
// context, all named `netlab`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

export interface KubeconfigOptions {
  server: string;
  token?: string | undefined;
  namespace?: string;
}

export function kubeconfigText(o: KubeconfigOptions): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'netlab', cluster: { server: o.server } }],
    users: [{ name: 'netlab', user: o.token ? { token: o.token } : {} }],
    contexts: [
      { name: 'netlab', context: { cluster: 'netlab', user: 'netlab', namespace: o.namespace ?? 'default' } },
    ],
    'current-context': 'netlab',
    preferences: {},
  });
}

/** Writes the kubeconfig (mode 0600: it may hold the token). */
export function writeKubeconfig(path: string, o: KubeconfigOptions): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, kubeconfigText(o), { mode: 0o600 });
}
