// What `netlab up` runs with no manifests, and the add-ons every cluster has. Kept as manifest text
// (not objects) so it reads like what a user would write, and so `netlab up --print-defaults` can
// show it as is.
import { formatGoIP, maskOf, parseGoCIDR } from '../../std/index.js';

/** The image every default workload runs: agnhost's netexec, as Kubernetes' own e2e tests do. */
export const agnhostImage = 'registry.k8s.io/e2e-test-images/agnhost:2.53';

/**
 * The default workload: a `web` Deployment of 3 netexec pods behind a ClusterIP Service and a
 * NodePort Service, and a headless StatefulSet `db` of 3 pods.
 */
export const defaultWorkload = `# netlab's default workload: what \`netlab up\` runs when no manifest is given, and
# examples/demo.yaml. Ordinary manifests: the controllers create the Pods, the scheduler places them
# on the cluster's nodes (none are declared here), and the kubelets run them and report their status.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels: {app: web}
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: agnhost
        image: ${agnhostImage}
        args: [netexec, --http-port=8080, --udp-port=8081]
        ports:
        - {name: http, containerPort: 8080}
        - {name: udp, containerPort: 8081, protocol: UDP}
        readinessProbe:
          httpGet: {path: /readyz, port: 8080}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http}
  - {name: udp, port: 81, targetPort: udp, protocol: UDP}
---
apiVersion: v1
kind: Service
metadata:
  name: web-nodeport
  namespace: default
spec:
  type: NodePort
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: http, nodePort: 30080}
---
apiVersion: v1
kind: Service
metadata:
  name: db
  namespace: default
spec:
  clusterIP: None
  selector: {app: db}
  ports:
  - {name: http, port: 8080, targetPort: http}
---
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: default
spec:
  serviceName: db
  replicas: 3
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: agnhost
        image: ${agnhostImage}
        args: [netexec, --http-port=8080]
        ports:
        - {name: http, containerPort: 8080}
`;

/** The tenth address of the first Service range, where kubeadm and kind put kube-dns. */
export function kubeDnsClusterIP(serviceSubnets: readonly string[]): string {
  const net = parseGoCIDR(serviceSubnets[0] ?? '10.96.0.0/12');
  if (!net) return '10.96.0.10';
  const base = net.ip.n & maskOf(net.ones, net.bits);
  return formatGoIP({ v4: net.ip.v4, n: base + 10n });
}

/** CoreDNS as kind and kubeadm install it: a Deployment of 2 behind Service kube-system/kube-dns. */
export function systemAddons(serviceSubnets: readonly string[]): string {
  return `# Cluster add-ons, as kubeadm installs them.
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  replicas: 2
  selector:
    matchLabels: {k8s-app: kube-dns}
  template:
    metadata:
      labels: {k8s-app: kube-dns}
    spec:
      containers:
      - name: coredns
        image: registry.k8s.io/coredns/coredns:v1.11.3
        args: [-conf, /etc/coredns/Corefile]
        ports:
        - {name: dns, containerPort: 53, protocol: UDP}
        - {name: dns-tcp, containerPort: 53, protocol: TCP}
        - {name: metrics, containerPort: 9153, protocol: TCP}
        readinessProbe:
          httpGet: {path: /ready, port: 8181}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/cluster-service: "true", kubernetes.io/name: CoreDNS}
spec:
  selector: {k8s-app: kube-dns}
  clusterIP: ${kubeDnsClusterIP(serviceSubnets)}
  ports:
  - {name: dns, port: 53, targetPort: 53, protocol: UDP}
  - {name: dns-tcp, port: 53, targetPort: 53, protocol: TCP}
  - {name: metrics, port: 9153, targetPort: 9153, protocol: TCP}
`;
}
