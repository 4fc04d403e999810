import t from 'tap';
import { FabricError } from '../../cni/fabric/errors.js';
import { cniCodeOf, InvokerError, PluginError } from '../../cni/invoker/errors.js';
import { CniError } from '../../cni/skel/errors.js';

// Every error class of fabric and invoker: its name, a stable NETLAB_CNI_* code, the message as
// given, and (for CNI errors) the wire code found through libcni-style wrapping.
t.test('error classes', async (t) => {
  const cases: { err: Error; name: string; code: string; message: string; cniCode: number | undefined }[] = [
    {
      err: new FabricError('NETLAB_CNI_FABRIC_UNKNOWN_NODE', 'node n: not in the fabric'),
      name: 'FabricError',
      code: 'NETLAB_CNI_FABRIC_UNKNOWN_NODE',
      message: 'node n: not in the fabric',
      cniCode: undefined,
    },
    {
      err: new InvokerError('NETLAB_CNI_INVOKER_CONFLIST', 'error parsing configuration list: no name'),
      name: 'InvokerError',
      code: 'NETLAB_CNI_INVOKER_CONFLIST',
      message: 'error parsing configuration list: no name',
      cniCode: undefined,
    },
    {
      err: new PluginError(7, 'bad', 'detail \u003c'),
      name: 'PluginError',
      code: 'NETLAB_CNI_INVOKER_PLUGIN_FAILED',
      message: 'bad; detail <',
      cniCode: 7,
    },
    {
      err: new InvokerError('NETLAB_CNI_INVOKER_PLUGIN_FAILED', 'plugin type="flat" failed (add): x', {
        cause: new PluginError(11, 'x'),
      }),
      name: 'InvokerError',
      code: 'NETLAB_CNI_INVOKER_PLUGIN_FAILED',
      message: 'plugin type="flat" failed (add): x',
      cniCode: 11,
    },
    {
      err: new InvokerError(
        'NETLAB_CNI_INVOKER_PLUGIN_FAILED',
        'plugin type="flat" failed (add): missing containerID',
        {
          cause: new CniError(3, 'missing containerID'),
        },
      ),
      name: 'InvokerError',
      code: 'NETLAB_CNI_INVOKER_PLUGIN_FAILED',
      message: 'plugin type="flat" failed (add): missing containerID',
      cniCode: 3,
    },
  ];
  for (const c of cases) {
    t.match(c.err, { name: c.name, code: c.code, message: c.message }, c.name);
    t.equal(cniCodeOf(c.err), c.cniCode, `${c.name} cni code`);
  }
});
