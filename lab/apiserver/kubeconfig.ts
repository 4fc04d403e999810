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
    // @kubernetes/client-node refuses a plain-HTTP server unless TLS verification is marked off;
    // kubectl ignores the flag for http. The lab is on loopback, where there is nothing to verify.
    clusters: [
      {
        name: 'netlab',
        cluster: {
          server: o.server,
          ...(o.server.startsWith('http:') ? { 'insecure-skip-tls-verify': true } : {}),
        },
      },
    ],
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
