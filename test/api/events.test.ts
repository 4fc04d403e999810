// Events as kube-apiserver validates and selects them (pkg/apis/core/validation/events.go): the
// legacy checks every Event passes, the strict ones of events.k8s.io/v1, and field selectors.
import t from 'tap';
import { validateEventCreate, validateEventUpdate } from '../../api/events.js';
import { fieldErrorString } from '../../api/fielderrors.js';
import type { StatusError } from '../../api/index.js';
import type { Event } from '../../api/types.js';
import { newStore } from './objects.js';

const event = (over: Partial<Event> & { name?: string; namespace?: string } = {}): Event => {
  const { name = 'web-1.17e0a1b2c3d4e5f6', namespace = 'default', ...rest } = over;
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-1', apiVersion: 'v1' },
    reason: 'Started',
    message: 'Started container agnhost',
    source: { component: 'kubelet', host: 'node-a' },
    firstTimestamp: '2026-12-05T09:00:00Z',
    lastTimestamp: '2026-12-05T09:00:00Z',
    count: 1,
    type: 'Normal',
    ...rest,
  };
};

t.test('legacy (core/v1) and strict (events.k8s.io/v1) validation', async (t) => {
  const cases: { name: string; ev: Event; version?: 'v1' | 'events.k8s.io/v1'; want: string[] }[] = [
    { name: 'a kubelet event', ev: event(), want: [] },
    {
      name: 'namespace of the involved object differs',
      ev: event({ namespace: 'kube-system' }),
      want: ['involvedObject.namespace: Invalid value: "default": does not match event.namespace'],
    },
    {
      name: 'a Node event in default is fine',
      ev: event({ involvedObject: { kind: 'Node', name: 'node-a' } }),
      want: [],
    },
    {
      name: 'a Node event in another namespace',
      ev: event({ namespace: 'shop', involvedObject: { kind: 'Node', name: 'node-a' } }),
      want: ['involvedObject.namespace: Invalid value: "": does not match event.namespace'],
    },
    {
      name: 'a name that is not a path segment',
      ev: event({ name: 'a/b%c' }),
      want: [
        `metadata.name: Invalid value: "a/b%c": may not contain '/'`,
        `metadata.name: Invalid value: "a/b%c": may not contain '%'`,
      ],
    },
    {
      name: 'eventTime set: the reporting fields are required',
      ev: event({ eventTime: '2026-12-05T09:00:00.000000Z', reason: '' }),
      want: [
        'reportingController: Required value',
        // Sic: IsQualifiedName("") reports both the empty part and the regex.
        'reportingController: Invalid value: "": name part must be non-empty',
        `reportingController: Invalid value: "": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
        'reportingInstance: Required value',
        'action: Required value',
        'reason: Required value',
      ],
    },
    {
      name: 'events.k8s.io/v1: deprecated fields must be unset',
      version: 'events.k8s.io/v1',
      ev: event({
        eventTime: '2026-12-05T09:00:00.000000Z',
        reportingComponent: 'kubelet',
        reportingInstance: 'node-a',
        action: 'Started',
        type: 'Info',
      }),
      want: [
        'type: Invalid value: "": has invalid value: Info',
        'firstTimestamp: Invalid value: "": needs to be unset',
        'lastTimestamp: Invalid value: "": needs to be unset',
        'count: Invalid value: "": needs to be unset',
        'source: Invalid value: "": needs to be unset',
      ],
    },
  ];
  for (const c of cases) t.same(validateEventCreate(c.ev, c.version).map(fieldErrorString), c.want, c.name);
  const old = event();
  t.same(
    validateEventUpdate(event({ count: 2 }), old).map(fieldErrorString),
    [],
    'the legacy API may bump count',
  );
  t.same(
    validateEventUpdate(event({ count: 2 }), old, 'events.k8s.io/v1').map(fieldErrorString),
    ['count: Invalid value: 2: field is immutable'],
    'events.k8s.io/v1 may not',
  );
});

t.test('the store keeps Events and selects them by involvedObject, reason, source and type', async (t) => {
  const s = newStore();
  s.create(event());
  s.create(
    event({
      name: 'web-2.1',
      involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-2' },
      type: 'Warning',
      reason: 'Unhealthy',
    }),
  );
  const names = (sel: string) => s.list('Event', { fieldSelector: sel }).items.map((e) => e.metadata.name);
  t.same(names('involvedObject.name=web-1'), ['web-1.17e0a1b2c3d4e5f6']);
  t.same(names('type=Warning,reason=Unhealthy'), ['web-2.1']);
  t.same(names('source=kubelet,involvedObject.kind=Pod'), ['web-1.17e0a1b2c3d4e5f6', 'web-2.1']);
  const bad = t.throws(() => s.list('Event', { fieldSelector: 'spec.nodeName=x' })) as StatusError;
  t.equal(bad.message, 'field label not supported: spec.nodeName');
  const invalid = t.throws(() => s.create(event({ name: 'x', namespace: 'kube-system' }))) as StatusError;
  t.equal(
    invalid.message,
    'Event "x" is invalid: involvedObject.namespace: Invalid value: "default": does not match event.namespace',
  );
  s.close();
});
