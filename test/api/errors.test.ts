// Every error class of api/ and ipam/kube, with its stable code (as undici's test/errors.js walks its own).
import t from 'tap';
import { ManifestError, SelectorError } from '../../api/errors.js';
import {
  newAlreadyExists,
  newBadRequest,
  newConflict,
  newForbidden,
  newInternalError,
  newInvalid,
  newNotFound,
  newResourceExpired,
} from '../../api/fielderrors.js';
import { BatchError, StatusError } from '../../api/index.js';
import {
  AlreadyAllocatedError,
  InvalidRangeError,
  NotInRangeError,
  RangeFullError,
} from '../../ipam/kube/errors.js';

t.test('error classes and codes', async (t) => {
  const cases: {
    err: Error & { code: string };
    name: string;
    code: string;
    message: string;
    http?: number;
  }[] = [
    {
      err: newNotFound('Service', 'web'),
      name: 'StatusError',
      code: 'NETLAB_API_NOT_FOUND',
      message: 'services "web" not found',
      http: 404,
    },
    {
      err: newAlreadyExists('EndpointSlice', 'web-1'),
      name: 'StatusError',
      code: 'NETLAB_API_ALREADY_EXISTS',
      message: 'endpointslices.discovery.k8s.io "web-1" already exists',
      http: 409,
    },
    {
      err: newConflict(
        'Deployment',
        'web',
        'the object has been modified; please apply your changes to the latest version and try again',
      ),
      name: 'StatusError',
      code: 'NETLAB_API_CONFLICT',
      message:
        'Operation cannot be fulfilled on deployments.apps "web": the object has been modified; please apply your changes to the latest version and try again',
      http: 409,
    },
    {
      err: newInvalid('Service', 'web', [
        { type: 'FieldValueRequired', field: 'spec.ports', badValue: '', detail: '' },
      ]),
      name: 'StatusError',
      code: 'NETLAB_API_INVALID',
      message: 'Service "web" is invalid: spec.ports: Required value',
      http: 422,
    },
    {
      err: newForbidden('Namespace', 'default', 'this namespace may not be deleted'),
      name: 'StatusError',
      code: 'NETLAB_API_FORBIDDEN',
      message: 'namespaces "default" is forbidden: this namespace may not be deleted',
      http: 403,
    },
    {
      err: newResourceExpired('too old resource version: 1 (5)'),
      name: 'StatusError',
      code: 'NETLAB_API_EXPIRED',
      message: 'too old resource version: 1 (5)',
      http: 410,
    },
    {
      err: new StatusError('Gone', 'gone'),
      name: 'StatusError',
      code: 'NETLAB_API_GONE',
      message: 'gone',
      http: 410,
    },
    {
      err: newBadRequest('bad'),
      name: 'StatusError',
      code: 'NETLAB_API_BAD_REQUEST',
      message: 'bad',
      http: 400,
    },
    {
      err: newInternalError('failed to allocate a serviceIP: range is full'),
      name: 'StatusError',
      code: 'NETLAB_API_INTERNAL',
      message: 'Internal error occurred: failed to allocate a serviceIP: range is full',
      http: 500,
    },
    {
      err: new ManifestError([
        { file: 'a.yaml', line: 3, object: 'Service default/web', field: 'kind', message: 'Required value' },
      ]),
      name: 'ManifestError',
      code: 'NETLAB_API_MANIFEST',
      message: 'a.yaml:3: Service default/web: kind: Required value',
    },
    { err: new SelectorError('x'), name: 'SelectorError', code: 'NETLAB_API_SELECTOR', message: 'x' },
    {
      err: new BatchError([{ index: 2, error: newNotFound('Pod', 'p') }]),
      name: 'BatchError',
      code: 'NETLAB_API_BATCH',
      message: '[2] pods "p" not found',
    },
    {
      err: new RangeFullError(),
      name: 'RangeFullError',
      code: 'NETLAB_IPAM_EXHAUSTED',
      message: 'range is full',
    },
    {
      err: new AlreadyAllocatedError('port'),
      name: 'AlreadyAllocatedError',
      code: 'NETLAB_IPAM_ALLOCATED',
      message: 'provided port is already allocated',
    },
    {
      err: new NotInRangeError('m', '30000-32767'),
      name: 'NotInRangeError',
      code: 'NETLAB_IPAM_NOT_IN_RANGE',
      message: 'm',
    },
    {
      err: new InvalidRangeError('r'),
      name: 'InvalidRangeError',
      code: 'NETLAB_IPAM_INVALID_RANGE',
      message: 'r',
    },
  ];
  for (const c of cases) {
    t.ok(c.err instanceof Error, c.code);
    t.same([c.err.name, c.err.code, c.err.message], [c.name, c.code, c.message], c.code);
    if (c.http !== undefined) t.equal((c.err as StatusError).status.code, c.http, `${c.code} HTTP code`);
  }
});
