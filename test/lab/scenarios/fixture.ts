// A small scenario for tests that need a real run quickly: 2 agnhost pods behind a NodePort.
import { parseScenario, type Scenario } from '../../../lab/scenarios/file.js';

export const smallScenario = `apiVersion: netlab.dev/v1alpha1
kind: Scenario
metadata: {name: small, description: two pods behind a NodePort}
spec:
  seed: 3
  cluster: {nodes: 2, second: 20ms}
  steps:
  - wait: {endpoints: web, ready: 2}
  - name: spread
    traffic: {to: {service: web, node: node-1}, connections: 60, concurrency: 2}
    expect: {errors: 0, responders: 2}
  - name: sources
    traffic: {to: {service: web, node: node-1, path: /clientip}, connections: 5}
    expect: {sourceSeen: {node: node-1}}
  - name: names
    dns: {name: web, libc: musl}
    expect: {status: NOERROR, queries: 1}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: agnhost
        image: registry.k8s.io/e2e-test-images/agnhost:2.53
        args: [netexec, --http-port=8080]
        ports: [{containerPort: 8080}]
        # 50 lab seconds are 1 s of wall time: a loaded machine fails no probe.
        readinessProbe: {httpGet: {path: /readyz, port: 8080}, periodSeconds: 1, timeoutSeconds: 50}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;

export function small(): Scenario {
  return parseScenario(smallScenario, 'small.yaml');
}

export function randomLoopbackBase(): string {
  const r = () => 1 + Math.floor(Math.random() * 250);
  return `127.${r()}.${r()}`;
}
