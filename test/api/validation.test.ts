// kube-apiserver's validation, defaulting and allocation errors, word for word, each next to a
// valid twin that differs only in the offending field.
import t from 'tap';
import { InvalidError } from '../../api/fielderrors.js';
import { type AnyObject, type EndpointSlice, StatusError, Store } from '../../api/index.js';
import { containers, workload } from './objects.js';

const dns1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const dns1123Label =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const dns1123Subdomain =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const labelValue =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const labelKeyName =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const portRange = 'must be between 1 and 65535, inclusive';
const validIP = 'must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)';

type Spec = Record<string, unknown>;
const svc = (spec: Spec, name = 'web'): AnyObject =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { selector: { app: 'web' }, ...spec },
  }) as AnyObject;
const port80 = [{ port: 80 }];
const slice = (extra: Spec): AnyObject =>
  ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'web-abc', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: ['10.244.1.5'] }],
    ports: [{ name: 'http', port: 8080 }],
    ...extra,
  }) as AnyObject;
const pod = (spec: Spec, name = 'p'): AnyObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers, ...spec } }) as AnyObject;
const deploy = (spec: Spec): AnyObject => workload('Deployment', 'web', spec);
const lease = (spec: Spec): AnyObject =>
  ({
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { name: 'node-a', namespace: 'kube-node-lease' },
    spec,
  }) as AnyObject;
const revision = (extra: Spec): AnyObject =>
  ({
    apiVersion: 'apps/v1',
    kind: 'ControllerRevision',
    metadata: { name: 'db-7b9f5c6d4' },
    ...extra,
  }) as AnyObject;
const many = (n: number, f: (i: number) => unknown) => Array.from({ length: n }, (_, i) => f(i));

interface Case {
  name: string;
  bad: AnyObject;
  message: string;
  good: AnyObject;
}

const cases: Case[] = [
  // Service ports
  {
    name: 'port above 65535',
    bad: svc({ ports: [{ port: 70000, targetPort: 8080 }] }),
    message: `Service "web" is invalid: spec.ports[0].port: Invalid value: 70000: ${portRange}`,
    good: svc({ ports: [{ port: 7000, targetPort: 8080 }] }),
  },
  {
    name: 'port 70000 also defaults targetPort to 70000',
    bad: svc({ ports: [{ port: 70000 }] }),
    message: `Service "web" is invalid: [spec.ports[0].port: Invalid value: 70000: ${portRange}, spec.ports[0].targetPort: Invalid value: 70000: ${portRange}]`,
    good: svc({ ports: [{ port: 7000 }] }),
  },
  {
    name: 'port 0',
    bad: svc({ ports: [{ port: 0, targetPort: 80 }] }),
    message: `Service "web" is invalid: spec.ports[0].port: Invalid value: 0: ${portRange}`,
    good: svc({ ports: [{ port: 1, targetPort: 80 }] }),
  },
  {
    name: 'protocol not TCP, UDP or SCTP',
    bad: svc({ ports: [{ port: 80, protocol: 'HTTP' }] }),
    message: `Service "web" is invalid: spec.ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"`,
    good: svc({ ports: [{ port: 80, protocol: 'SCTP' }] }),
  },
  {
    name: 'several ports need names',
    bad: svc({ ports: [{ port: 80 }, { port: 443 }] }),
    message:
      'Service "web" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: Required value]',
    good: svc({
      ports: [
        { port: 80, name: 'http' },
        { port: 443, name: 'https' },
      ],
    }),
  },
  {
    name: 'several ports: "" is no name either',
    bad: svc({ ports: [{ port: 80 }, { name: '', port: 443 }] }),
    message:
      'Service "web" is invalid: [spec.ports[0].name: Required value, spec.ports[1].name: Required value]',
    good: svc({
      ports: [
        { port: 80, name: 'http' },
        { name: 'https', port: 443 },
      ],
    }),
  },
  {
    name: 'duplicate port names',
    bad: svc({
      ports: [
        { port: 80, name: 'http' },
        { port: 8080, name: 'http' },
      ],
    }),
    message: 'Service "web" is invalid: spec.ports[1].name: Duplicate value: "http"',
    good: svc({
      ports: [
        { port: 80, name: 'http' },
        { port: 8080, name: 'http-alt' },
      ],
    }),
  },
  {
    name: 'duplicate port numbers',
    bad: svc({
      ports: [
        { port: 80, name: 'a' },
        { port: 80, name: 'b' },
      ],
    }),
    message:
      'Service "web" is invalid: spec.ports[1]: Duplicate value: core.ServicePort{Name:"", Protocol:"TCP", AppProtocol:(*string)(nil), Port:80, TargetPort:intstr.IntOrString{Type:0, IntVal:0, StrVal:""}, NodePort:0}',
    good: svc({
      ports: [
        { port: 80, name: 'a' },
        { port: 80, name: 'b', protocol: 'UDP' },
      ],
    }),
  },
  {
    name: 'port name not a DNS label',
    bad: svc({ ports: [{ port: 80, name: 'HTTP' }] }),
    message: `Service "web" is invalid: spec.ports[0].name: Invalid value: "HTTP": ${dns1123Label}`,
    good: svc({ ports: [{ port: 80, name: 'http' }] }),
  },
  {
    name: 'targetPort name with bad characters',
    bad: svc({ ports: [{ port: 80, targetPort: 'HTTP_x' }] }),
    message:
      'Service "web" is invalid: spec.ports[0].targetPort: Invalid value: "HTTP_x": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    good: svc({ ports: [{ port: 80, targetPort: 'http-x' }] }),
  },
  {
    name: 'targetPort name longer than 15',
    bad: svc({ ports: [{ port: 80, targetPort: 'a-very-long-port-name' }] }),
    message:
      'Service "web" is invalid: spec.ports[0].targetPort: Invalid value: "a-very-long-port-name": must be no more than 15 characters',
    good: svc({ ports: [{ port: 80, targetPort: 'long-port-name' }] }),
  },
  {
    name: 'targetPort number as a string',
    bad: svc({ ports: [{ port: 80, targetPort: '8080' }] }),
    message:
      'Service "web" is invalid: spec.ports[0].targetPort: Invalid value: "8080": must contain at least one letter (a-z)',
    good: svc({ ports: [{ port: 80, targetPort: 8080 }] }),
  },
  {
    name: 'targetPort name with consecutive hyphens',
    bad: svc({ ports: [{ port: 80, targetPort: 'web--http' }] }),
    message:
      'Service "web" is invalid: spec.ports[0].targetPort: Invalid value: "web--http": must not contain consecutive hyphens',
    good: svc({ ports: [{ port: 80, targetPort: 'web-http' }] }),
  },
  {
    name: 'appProtocol not a qualified name',
    bad: svc({ ports: [{ port: 80, appProtocol: 'a/b/c' }] }),
    message: `Service "web" is invalid: spec.ports[0].appProtocol: Invalid value: "a/b/c": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    good: svc({ ports: [{ port: 80, appProtocol: 'kubernetes.io/h2c' }] }),
  },
  {
    name: 'no ports on a ClusterIP Service',
    bad: svc({}),
    message: 'Service "web" is invalid: spec.ports: Required value',
    good: svc({ clusterIP: 'None' }),
  },
  // clusterIP / clusterIPs / families
  {
    name: 'clusterIP not an IP',
    bad: svc({ clusterIP: 'abc', ports: port80 }),
    message: `Service "web" is invalid: spec.clusterIPs[0]: Invalid value: "abc": ${validIP}`,
    good: svc({ clusterIP: '10.96.0.20', ports: port80 }),
  },
  {
    name: 'clusterIP outside the service CIDR',
    bad: svc({ clusterIP: '10.0.0.1', ports: port80 }),
    message:
      'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.1"}: failed to allocate IP 10.0.0.1: the provided IP (10.0.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
    good: svc({ clusterIP: '10.100.0.1', ports: port80 }),
  },
  {
    name: 'clusterIP already allocated',
    bad: svc({ clusterIP: '10.96.0.1', ports: port80 }),
    message:
      'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.1"}: failed to allocate IP 10.96.0.1: provided IP is already allocated',
    good: svc({ clusterIP: '10.96.0.2', ports: port80 }),
  },
  {
    name: 'clusterIPs without clusterIP',
    bad: svc({ clusterIPs: ['10.96.0.30'], ports: port80 }),
    message:
      'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.30"}: must be empty when `clusterIP` is not specified',
    good: svc({ clusterIP: '10.96.0.30', clusterIPs: ['10.96.0.30'], ports: port80 }),
  },
  {
    name: 'two clusterIPs of one family',
    bad: svc({ clusterIP: '10.96.0.31', clusterIPs: ['10.96.0.31', '10.96.0.32'], ports: port80 }),
    message:
      'Service "web" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.31", "10.96.0.32"}: may specify no more than one IP for each IP family',
    good: svc({ clusterIP: '10.96.0.31', clusterIPs: ['10.96.0.31'], ports: port80 }),
  },
  {
    name: 'clusterIP of the other family than ipFamilies',
    bad: svc({ clusterIP: '10.96.0.33', ipFamilies: ['IPv6'], ports: port80 }),
    message:
      'Service "web" is invalid: spec.clusterIPs[0]: Invalid value: "10.96.0.33": expected an IPv6 value as indicated by `ipFamilies[0]`',
    good: svc({ clusterIP: '10.96.0.33', ipFamilies: ['IPv4'], ports: port80 }),
  },
  {
    name: 'ipFamilyPolicy unknown',
    bad: svc({ ipFamilyPolicy: 'Dual', ports: port80 }),
    message:
      'Service "web" is invalid: spec.ipFamilyPolicy: Unsupported value: "Dual": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"',
    good: svc({ ipFamilyPolicy: 'PreferDualStack', ports: port80 }),
  },
  {
    name: 'RequireDualStack on a single-stack cluster',
    bad: svc({ ipFamilyPolicy: 'RequireDualStack', ports: port80 }),
    message:
      'Service "web" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
    good: svc({ ipFamilyPolicy: 'SingleStack', ports: port80 }),
  },
  {
    name: 'ipFamily the cluster does not have',
    bad: svc({ ipFamilies: ['IPv6'], ports: port80 }),
    message:
      'Service "web" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster',
    good: svc({ ipFamilies: ['IPv4'], ports: port80 }),
  },
  {
    name: 'two ipFamilies with SingleStack',
    bad: svc({ ipFamilies: ['IPv4', 'IPv6'], ipFamilyPolicy: 'SingleStack', ports: port80 }),
    message:
      'Service "web" is invalid: spec.ipFamilyPolicy: Invalid value: "SingleStack": must be \'RequireDualStack\' or \'PreferDualStack\' when multiple IP families are specified',
    good: svc({ ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', ports: port80 }),
  },
  {
    name: 'headless NodePort',
    bad: svc({ type: 'NodePort', clusterIP: 'None', ports: port80 }),
    message: `Service "web" is invalid: spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for NodePort services`,
    good: svc({ type: 'NodePort', ports: port80 }),
  },
  {
    name: 'headless LoadBalancer',
    bad: svc({ type: 'LoadBalancer', clusterIP: 'None', ports: port80 }),
    message: `Service "web" is invalid: spec.clusterIPs[0]: Invalid value: "None": may not be set to 'None' for LoadBalancer services`,
    good: svc({ type: 'LoadBalancer', ports: port80 }),
  },
  // ExternalName
  {
    name: 'ExternalName without externalName',
    bad: svc({ type: 'ExternalName' }),
    message: 'Service "web" is invalid: spec.externalName: Required value',
    good: svc({ type: 'ExternalName', externalName: 'db.example.com.' }),
  },
  {
    name: 'externalName not a DNS name',
    bad: svc({ type: 'ExternalName', externalName: 'Not_A_Host' }),
    message: `Service "web" is invalid: spec.externalName: Invalid value: "Not_A_Host": ${dns1123Subdomain}`,
    good: svc({ type: 'ExternalName', externalName: 'not-a-host' }),
  },
  {
    name: 'ExternalName with a clusterIP',
    bad: svc({ type: 'ExternalName', externalName: 'db.example.com', clusterIP: '10.96.0.40' }),
    message: 'Service "web" is invalid: spec.clusterIPs: Forbidden: may not be set for ExternalName services',
    good: svc({ type: 'ExternalName', externalName: 'db.example.com' }),
  },
  // session affinity
  {
    name: 'sessionAffinity unknown',
    bad: svc({ sessionAffinity: 'Sticky', ports: port80 }),
    message:
      'Service "web" is invalid: spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"',
    good: svc({ sessionAffinity: 'ClientIP', ports: port80 }),
  },
  {
    name: 'affinity timeout 0',
    bad: svc({
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 0 } },
      ports: port80,
    }),
    message:
      'Service "web" is invalid: spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400',
    good: svc({
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 1 } },
      ports: port80,
    }),
  },
  {
    name: 'affinity timeout above a day',
    bad: svc({
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 86401 } },
      ports: port80,
    }),
    message:
      'Service "web" is invalid: spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400',
    good: svc({
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 86400 } },
      ports: port80,
    }),
  },
  {
    name: 'affinity config without ClientIP',
    bad: svc({ sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } }, ports: port80 }),
    message:
      'Service "web" is invalid: spec.sessionAffinityConfig: Forbidden: must not be set when session affinity is None',
    good: svc({
      sessionAffinity: 'ClientIP',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
      ports: port80,
    }),
  },
  // type, nodePorts, traffic policies
  {
    name: 'type unknown',
    bad: svc({ type: 'Foo', ports: port80 }),
    message:
      'Service "web" is invalid: spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
    good: svc({ type: 'ClusterIP', ports: port80 }),
  },
  {
    name: 'nodePort on a ClusterIP Service',
    bad: svc({ ports: [{ port: 80, nodePort: 30080 }] }),
    message:
      'Service "web" is invalid: spec.ports[0].nodePort: Forbidden: may not be used when `type` is \'ClusterIP\'',
    good: svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30081 }] }),
  },
  {
    name: 'nodePort outside the range',
    bad: svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 29999 }] }),
    message:
      'Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 29999: provided port is not in the valid range. The range of valid ports is 30000-32767',
    good: svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30000 }] }),
  },
  {
    name: 'nodePort already taken',
    bad: svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }),
    message:
      'Service "web" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated',
    good: svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30082 }] }),
  },
  {
    name: 'externalTrafficPolicy on ClusterIP',
    bad: svc({ externalTrafficPolicy: 'Local', ports: port80 }),
    message:
      'Service "web" is invalid: spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services',
    good: svc({ type: 'NodePort', externalTrafficPolicy: 'Local', ports: port80 }),
  },
  {
    name: 'externalTrafficPolicy unknown',
    bad: svc({ type: 'NodePort', externalTrafficPolicy: 'Nope', ports: port80 }),
    message:
      'Service "web" is invalid: spec.externalTrafficPolicy: Unsupported value: "Nope": supported values: "Cluster", "Local"',
    good: svc({ type: 'NodePort', externalTrafficPolicy: 'Cluster', ports: port80 }),
  },
  {
    name: 'internalTrafficPolicy unknown',
    bad: svc({ internalTrafficPolicy: 'Nope', ports: port80 }),
    message:
      'Service "web" is invalid: spec.internalTrafficPolicy: Unsupported value: "Nope": supported values: "Cluster", "Local"',
    good: svc({ internalTrafficPolicy: 'Local', ports: port80 }),
  },
  {
    name: 'healthCheckNodePort without LoadBalancer + Local',
    bad: svc({ type: 'NodePort', healthCheckNodePort: 30100, ports: port80 }),
    message:
      "Service \"web\" is invalid: spec.healthCheckNodePort: Invalid value: 30100: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'",
    good: svc({
      type: 'LoadBalancer',
      externalTrafficPolicy: 'Local',
      healthCheckNodePort: 30100,
      ports: port80,
    }),
  },
  {
    name: 'externalIP not an IP',
    bad: svc({ externalIPs: ['1.2.3'], ports: port80 }),
    message: `Service "web" is invalid: spec.externalIPs[0]: Invalid value: "1.2.3": ${validIP}`,
    good: svc({ externalIPs: ['1.2.3.4'], ports: port80 }),
  },
  {
    name: 'externalIP loopback',
    bad: svc({ externalIPs: ['127.0.0.1'], ports: port80 }),
    message:
      'Service "web" is invalid: spec.externalIPs[0]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
    good: svc({ externalIPs: ['192.0.2.10'], ports: port80 }),
  },
  {
    name: 'loadBalancerSourceRanges without LoadBalancer',
    bad: svc({ loadBalancerSourceRanges: ['10.0.0.0/8'], ports: port80 }),
    message:
      'Service "web" is invalid: spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is \'LoadBalancer\'',
    good: svc({ type: 'LoadBalancer', loadBalancerSourceRanges: ['10.0.0.0/8'], ports: port80 }),
  },
  {
    name: 'trafficDistribution unknown',
    bad: svc({ trafficDistribution: 'Nearest', ports: port80 }),
    message:
      'Service "web" is invalid: spec.trafficDistribution: Unsupported value: "Nearest": supported values: "PreferClose"',
    good: svc({ trafficDistribution: 'PreferClose', ports: port80 }),
  },
  // metadata and selectors
  {
    name: 'Service name not a DNS-1035 label (capital)',
    bad: svc({ ports: port80 }, 'Web'),
    message: `Service "Web" is invalid: metadata.name: Invalid value: "Web": ${dns1035}`,
    good: svc({ ports: port80 }, 'web'),
  },
  {
    name: 'Service name starting with a digit',
    bad: svc({ ports: port80 }, '1web'),
    message: `Service "1web" is invalid: metadata.name: Invalid value: "1web": ${dns1035}`,
    good: svc({ ports: port80 }, 'web1'),
  },
  {
    name: 'selector value with a space',
    bad: svc({ selector: { app: 'a b' }, ports: port80 }),
    message: `Service "web" is invalid: spec.selector: Invalid value: "a b": ${labelValue}`,
    good: svc({ selector: { app: 'a-b' }, ports: port80 }),
  },
  {
    name: 'label key starting with a dash',
    bad: { ...svc({ ports: port80 }), metadata: { name: 'web', labels: { '-bad': 'x' } } } as AnyObject,
    message: `Service "web" is invalid: metadata.labels: Invalid value: "-bad": ${labelKeyName}`,
    good: { ...svc({ ports: port80 }), metadata: { name: 'web', labels: { bad: 'x' } } } as AnyObject,
  },
  {
    name: 'label key with a prefix that is not a DNS subdomain',
    bad: {
      ...svc({ ports: port80 }),
      metadata: { name: 'web', labels: { 'Example.com/x': 'y' } },
    } as AnyObject,
    message: `Service "web" is invalid: metadata.labels: Invalid value: "Example.com/x": prefix part ${dns1123Subdomain}`,
    good: {
      ...svc({ ports: port80 }),
      metadata: { name: 'web', labels: { 'example.com/x': 'y' } },
    } as AnyObject,
  },
  // EndpointSlice
  {
    name: 'EndpointSlice addressType',
    bad: slice({ addressType: 'IP' }),
    message:
      'EndpointSlice.discovery.k8s.io "web-abc" is invalid: addressType: Unsupported value: "IP": supported values: "FQDN", "IPv4", "IPv6"',
    good: slice({ addressType: 'IPv4' }),
  },
  {
    name: 'EndpointSlice with 1001 endpoints',
    bad: slice({ endpoints: many(1001, (i) => ({ addresses: [`10.${1 + (i >> 8)}.${i & 255}.1`] })) }),
    message:
      'EndpointSlice.discovery.k8s.io "web-abc" is invalid: endpoints: Too many: 1001: must have at most 1000 items',
    good: slice({ endpoints: many(1000, (i) => ({ addresses: [`10.${1 + (i >> 8)}.${i & 255}.1`] })) }),
  },
  {
    name: 'EndpointSlice with 101 ports',
    bad: slice({ ports: many(101, (i) => ({ name: `p${i}`, port: 1000 + i })) }),
    message:
      'EndpointSlice.discovery.k8s.io "web-abc" is invalid: ports: Too many: 101: must have at most 100 items',
    good: slice({ ports: many(100, (i) => ({ name: `p${i}`, port: 1000 + i })) }),
  },
  {
    name: 'endpoint without addresses',
    bad: slice({ endpoints: [{ addresses: [] }] }),
    message:
      'EndpointSlice.discovery.k8s.io "web-abc" is invalid: endpoints[0].addresses: Required value: must contain at least 1 address',
    good: slice({ endpoints: [{ addresses: ['10.244.1.6'] }] }),
  },
  {
    name: 'IPv6 address in an IPv4 slice',
    bad: slice({ endpoints: [{ addresses: ['fd00::1'] }] }),
    message:
      'EndpointSlice.discovery.k8s.io "web-abc" is invalid: endpoints[0].addresses[0]: Invalid value: "fd00::1": must be a valid IPv4 address',
    good: slice({ addressType: 'IPv6', endpoints: [{ addresses: ['fd00::1'] }] }),
  },
  {
    name: 'EndpointSlice port protocol',
    bad: slice({ ports: [{ name: 'http', port: 80, protocol: 'HTTP' }] }),
    message:
      'EndpointSlice.discovery.k8s.io "web-abc" is invalid: ports[0].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    good: slice({ ports: [{ name: 'http', port: 80, protocol: 'UDP' }] }),
  },
  {
    name: 'EndpointSlice duplicate port names',
    bad: slice({
      ports: [
        { name: 'http', port: 80 },
        { name: 'http', port: 81 },
      ],
    }),
    message: 'EndpointSlice.discovery.k8s.io "web-abc" is invalid: ports[1].name: Duplicate value: "http"',
    good: slice({
      ports: [
        { name: 'http', port: 80 },
        { name: 'http-alt', port: 81 },
      ],
    }),
  },
  // An omitted port name is "" after defaulting (discovery/v1 SetDefaults_EndpointPort): the same
  // unnamed port, so omitted beside "" is a duplicate, and omitted beside a named port is not.
  {
    name: 'EndpointSlice port name omitted beside ""',
    bad: slice({ ports: [{ port: 80 }, { name: '', port: 81 }] }),
    message: 'EndpointSlice.discovery.k8s.io "web-abc" is invalid: ports[1].name: Duplicate value: ""',
    good: slice({ ports: [{ port: 80 }, { name: 'http', port: 81 }] }),
  },
  {
    name: 'EndpointSlice port name "" beside omitted',
    bad: slice({ ports: [{ name: '', port: 80 }, { port: 81 }] }),
    message: 'EndpointSlice.discovery.k8s.io "web-abc" is invalid: ports[1].name: Duplicate value: ""',
    good: slice({ ports: [{ name: 'http', port: 80 }, { port: 81 }] }),
  },
  {
    name: 'EndpointSlice zone hint twice',
    bad: slice({
      endpoints: [
        { addresses: ['10.244.1.5'], hints: { forZones: [{ name: 'zone-a' }, { name: 'zone-a' }] } },
      ],
    }),
    message:
      'EndpointSlice.discovery.k8s.io "web-abc" is invalid: endpoints[0].hints.forZones[1].name: Duplicate value: "zone-a"',
    good: slice({
      endpoints: [
        { addresses: ['10.244.1.5'], hints: { forZones: [{ name: 'zone-a' }, { name: 'zone-b' }] } },
      ],
    }),
  },
  // Pod
  {
    name: 'Pod without containers',
    bad: pod({ containers: [] }),
    message: 'Pod "p" is invalid: spec.containers: Required value',
    good: pod({}),
  },
  {
    name: 'containerPort 0',
    bad: pod({ containers: [{ name: 'c', image: 'agnhost', ports: [{ containerPort: 0 }] }] }),
    message: 'Pod "p" is invalid: spec.containers[0].ports[0].containerPort: Required value',
    good: pod({ containers: [{ name: 'c', image: 'agnhost', ports: [{ containerPort: 8080 }] }] }),
  },
  {
    name: 'containerPort above 65535',
    bad: pod({ containers: [{ name: 'c', image: 'agnhost', ports: [{ containerPort: 65536 }] }] }),
    message: `Pod "p" is invalid: spec.containers[0].ports[0].containerPort: Invalid value: 65536: ${portRange}`,
    good: pod({ containers: [{ name: 'c', image: 'agnhost', ports: [{ containerPort: 65535 }] }] }),
  },
  {
    name: 'container port name with an underscore',
    bad: pod({
      containers: [{ name: 'c', image: 'agnhost', ports: [{ name: 'http_port', containerPort: 80 }] }],
    }),
    message:
      'Pod "p" is invalid: spec.containers[0].ports[0].name: Invalid value: "http_port": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    good: pod({
      containers: [{ name: 'c', image: 'agnhost', ports: [{ name: 'http-port', containerPort: 80 }] }],
    }),
  },
  {
    name: 'container name not a DNS label',
    bad: pod({ containers: [{ name: 'App', image: 'agnhost' }] }),
    message: `Pod "p" is invalid: spec.containers[0].name: Invalid value: "App": ${dns1123Label}`,
    good: pod({ containers: [{ name: 'app', image: 'agnhost' }] }),
  },
  {
    name: 'restartPolicy unknown',
    bad: pod({ restartPolicy: 'Sometimes' }),
    message:
      'Pod "p" is invalid: spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "Never", "OnFailure"',
    good: pod({ restartPolicy: 'OnFailure' }),
  },
  // apps/v1
  {
    name: 'Deployment selector does not match the template',
    bad: deploy({ selector: { matchLabels: { app: 'api' } } }),
    message:
      'Deployment.apps "web" is invalid: spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    good: deploy({ selector: { matchLabels: { app: 'web' } } }),
  },
  {
    name: 'Deployment without selector',
    bad: deploy({ selector: undefined }),
    message: 'Deployment.apps "web" is invalid: spec.selector: Required value',
    good: deploy({}),
  },
  {
    name: 'Deployment with negative replicas',
    bad: deploy({ replicas: -1 }),
    message:
      'Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    good: deploy({ replicas: 0 }),
  },
  // cluster-scoped
  {
    name: 'Namespace name not a DNS label',
    bad: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'My_NS' } } as AnyObject,
    message: `Namespace "My_NS" is invalid: metadata.name: Invalid value: "My_NS": ${dns1123Label}`,
    good: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'my-ns' } } as AnyObject,
  },
  {
    name: 'Node podCIDR not a CIDR',
    bad: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: { podCIDRs: ['10.244.0.0/33'] },
    } as AnyObject,
    message:
      'Node "n1" is invalid: spec.podCIDRs[0]: Invalid value: "10.244.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    good: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: { podCIDRs: ['10.244.0.0/24'] },
    } as AnyObject,
  },
  {
    name: 'Node with only the singular podCIDR, not a CIDR (checked through podCIDRs)',
    bad: { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, spec: { podCIDR: 'abc' } } as AnyObject,
    message:
      'Node "n1" is invalid: spec.podCIDRs[0]: Invalid value: "abc": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    good: {
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'n1' },
      spec: { podCIDR: '10.244.1.0/24' },
    } as AnyObject,
  },
  // Lease (coordination.k8s.io/v1, pkg/apis/coordination/validation)
  {
    name: 'Lease with a zero duration',
    bad: lease({ holderIdentity: 'node-a', leaseDurationSeconds: 0 }),
    message:
      'Lease.coordination.k8s.io "node-a" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    good: lease({ holderIdentity: 'node-a', leaseDurationSeconds: 40 }),
  },
  {
    name: 'Lease with negative transitions',
    bad: lease({ leaseTransitions: -1 }),
    message:
      'Lease.coordination.k8s.io "node-a" is invalid: spec.leaseTransitions: Invalid value: -1: must be greater than or equal to 0',
    good: lease({ leaseTransitions: 0 }),
  },
  {
    name: 'Lease with a preferred holder but no strategy',
    bad: lease({ preferredHolder: 'node-b' }),
    message:
      'Lease.coordination.k8s.io "node-a" is invalid: spec.preferredHolder: Forbidden: may only be specified if `strategy` is defined',
    good: lease({ preferredHolder: 'node-b', strategy: 'OldestEmulationVersion' }),
  },
  {
    name: 'Lease with an unknown strategy',
    bad: lease({ strategy: 'Newest' }),
    message:
      'Lease.coordination.k8s.io "node-a" is invalid: spec.strategy: Unsupported value: "Newest": supported values: "OldestEmulationVersion"',
    good: lease({ strategy: 'example.com/newest' }),
  },
  // ControllerRevision (apps/v1, pkg/apis/apps/validation ValidateControllerRevision)
  {
    name: 'ControllerRevision without data and with a negative revision',
    bad: revision({ revision: -1 }),
    message:
      'ControllerRevision.apps "db-7b9f5c6d4" is invalid: [data: Required value, revision: Invalid value: -1: must be greater than or equal to 0]',
    good: revision({ revision: 1, data: { spec: { template: { $patch: 'replace' } } } }),
  },
];

/** A store holding one NodePort Service on 30080, so "already taken" has something to collide with. */
function fixture(): Store {
  const s = new Store({ bookmarkIntervalMs: 0 });
  s.create({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'taken' },
    spec: { type: 'NodePort', selector: { app: 'x' }, ports: [{ port: 80, nodePort: 30080 }] },
  } as AnyObject);
  return s;
}

t.test(`${cases.length} invalid objects and their valid twins`, async (t) => {
  t.ok(cases.length >= 40, 'at least 40 cases');
  for (const c of cases) {
    const s = fixture();
    const rv = s.resourceVersion;
    const err = t.throws(() => s.create(c.bad), StatusError, c.name) as StatusError;
    t.equal(err.message, c.message, c.name);
    t.equal(s.resourceVersion, rv, `${c.name}: nothing stored`);
    t.doesNotThrow(() => s.create(c.good), `${c.name}: valid twin`);
    s.close();
  }
});

t.test('Invalid carries Kubernetes Status causes', async (t) => {
  const s = new Store({ bookmarkIntervalMs: 0 });
  const err = t.throws(() =>
    s.create(svc({ ports: [{ port: 70000, targetPort: 8080, protocol: 'TCPX' }] })),
  ) as InvalidError;
  t.ok(err instanceof InvalidError);
  t.same(err.status, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message:
      'Service "web" is invalid: [spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive, spec.ports[0].protocol: Unsupported value: "TCPX": supported values: "SCTP", "TCP", "UDP"]',
    reason: 'Invalid',
    details: {
      name: 'web',
      kind: 'Service',
      causes: [
        {
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 70000: must be between 1 and 65535, inclusive',
          field: 'spec.ports[0].port',
        },
        {
          reason: 'FieldValueNotSupported',
          message: 'Unsupported value: "TCPX": supported values: "SCTP", "TCP", "UDP"',
          field: 'spec.ports[0].protocol',
        },
      ],
    },
    code: 422,
  });
  t.equal(err.code, 'NETLAB_API_INVALID');
  s.close();
});

t.test('decoding: wrong JSON types and unknown fields are refused before validation', async (t) => {
  const s = new Store({ bookmarkIntervalMs: 0 });
  const cases: { obj: AnyObject; message: string }[] = [
    {
      obj: svc({ ports: [{ port: '80' }] }),
      message:
        'Service in version "v1" cannot be handled as a Service: json: cannot unmarshal string into Go struct field ServicePort.spec.ports.port of type int32',
    },
    {
      obj: svc({ portz: [], ports: port80 }),
      message:
        'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.portz"',
    },
    {
      obj: slice({ endpoints: [{ addresses: ['10.244.1.5'], conditions: { ready: 'yes' } }] }),
      message:
        'EndpointSlice in version "v1" cannot be handled as a EndpointSlice: json: cannot unmarshal string into Go struct field EndpointConditions.endpoints.conditions.ready of type bool',
    },
  ];
  for (const c of cases) {
    const err = t.throws(() => s.create(c.obj)) as StatusError;
    t.equal(err.status.code, 400);
    t.equal(err.message, c.message);
  }
  s.close();
});

t.test('defaults as kube-apiserver fills them in', async (t) => {
  const s = new Store({ bookmarkIntervalMs: 0 });
  const out = s.create(
    svc({
      type: 'LoadBalancer',
      ports: [
        { port: 80, name: 'http' },
        { port: 53, name: 'dns', protocol: 'UDP' },
      ],
    }),
  );
  const spec = (out as unknown as { spec: Record<string, unknown> }).spec;
  t.match(spec, {
    type: 'LoadBalancer',
    sessionAffinity: 'None',
    externalTrafficPolicy: 'Cluster',
    internalTrafficPolicy: 'Cluster',
    ipFamilyPolicy: 'SingleStack',
    ipFamilies: ['IPv4'],
    allocateLoadBalancerNodePorts: true,
    ports: [
      { port: 80, protocol: 'TCP', targetPort: 80 },
      { port: 53, protocol: 'UDP', targetPort: 53 },
    ],
  });
  t.equal(spec.healthCheckNodePort, undefined, 'no health check port with externalTrafficPolicy Cluster');
  const aff = s.create(svc({ sessionAffinity: 'ClientIP', ports: port80 }, 'sticky'));
  t.same((aff as unknown as { spec: { sessionAffinityConfig: unknown } }).spec.sessionAffinityConfig, {
    clientIP: { timeoutSeconds: 10800 },
  });
  const p = s.create(pod({})) as unknown as { spec: Record<string, unknown>; status: unknown };
  t.match(p.spec, { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', terminationGracePeriodSeconds: 30 });
  t.same(p.status, { phase: 'Pending', qosClass: 'BestEffort' });
  const d = s.create(deploy({})) as unknown as {
    spec: Record<string, unknown>;
    metadata: { generation: number };
  };
  t.match(d.spec, { replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600 });
  t.equal(d.metadata.generation, 1);
  s.close();
});

t.test('EndpointSlice ports: an omitted name is stored as "", a named one as it is', async (t) => {
  const s = new Store({ bookmarkIntervalMs: 0 });
  t.teardown(() => s.close());
  const cases: [name: string, port: Record<string, unknown>, stored: unknown][] = [
    ['omitted', { port: 80 }, { name: '', protocol: 'TCP', port: 80 }],
    ['""', { name: '', port: 80 }, { name: '', protocol: 'TCP', port: 80 }],
    ['named', { name: 'http', port: 80 }, { name: 'http', protocol: 'TCP', port: 80 }],
  ];
  cases.forEach(([name, port, stored], i) => {
    const created = s.create({
      ...slice({ ports: [port] }),
      metadata: { name: `web-${i}`, labels: { 'kubernetes.io/service-name': 'web' } },
    } as AnyObject) as EndpointSlice;
    t.same(created.ports, [stored], `slice port name ${name}`);
  });
});
