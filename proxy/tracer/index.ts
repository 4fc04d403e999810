// The door of proxy/tracer, for the rest of proxy/ (the fast path, the data plane): a packet walked
// through a node's rule table with kube-proxy's test-tracer semantics (every possible endpoint) or as
// the kernel would (one endpoint: seeded statistic, recent, conntrack). Tests import its files directly.
export {
  followConntrack,
  type KernelOutcome,
  type KernelResult,
  type KernelState,
  KernelWalk,
  kernelSourceMatches,
  newKernelState,
  recordConntrack,
  stateMatches,
} from './kernel.js';
export { destinationMatches, sourceMatches } from './match.js';
export { traceKernel } from './outcomes.js';
export { LocalAddresses, type Packet, type PacketView, viewPacket } from './packet.js';
export { PossibleWalk, tracePacket } from './possible.js';
export type { Oracle, TraceResult, Verdict } from './types.js';
export type { WalkSetup } from './walk.js';
