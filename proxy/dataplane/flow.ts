// What the data plane and the pods agree on. The data plane (proxy/) carries a connection to a pod;
// the pods are lab/'s in-process apps. proxy/ may not import lab/, so it declares what it needs
// (PodPorts) and lab/ implements it; the pods read the emulated 4-tuple of a delivered socket with
// flowOf, one WeakMap lookup, so an app never sees 127.0.0.1 as its peer.
import type { Server, Socket } from 'node:net';

export type FlowProtocol = 'TCP' | 'UDP' | 'SCTP';

export interface FlowEnd {
  readonly ip: string;
  readonly port: number;
}

/** A connection as the pod sees it: after DNAT and SNAT (masquerade), plus where it entered. */
export interface Flow {
  readonly protocol: FlowProtocol;
  /** The source the pod sees: the client pod, the node (masqueraded) or the external client. */
  readonly src: FlowEnd;
  /** The pod's own address and port (after DNAT). */
  readonly dst: FlowEnd;
  /** The destination the client asked for (a ClusterIP, NodePort, LoadBalancer IP or pod IP). */
  readonly origDst: FlowEnd;
  /** The Node whose rules decided (the entry node). */
  readonly node: string;
}

/** Replies to a UDP datagram, from the pod's address and port. */
export type UdpReply = (msg: Uint8Array) => void;

/** A pod's UDP socket as the data plane drives it: one datagram in, any number of replies out. */
export type UdpHandler = (msg: Uint8Array, flow: Flow, reply: UdpReply) => void;

/**
 * The pods' listening sockets, looked up by pod IP and container port. lab/ (the kubelet) implements
 * it; a TCP connection is delivered with `server.emit('connection', socket)` after `setFlow`.
 */
export interface PodPorts {
  tcp(podIP: string, port: number): Server | undefined;
  udp(podIP: string, port: number): UdpHandler | undefined;
}

const flows = new WeakMap<Socket, Flow>();

/** Records the emulated flow of a socket the data plane is about to hand to a pod. */
export function setFlow(socket: Socket, flow: Flow): void {
  flows.set(socket, flow);
}

/** The emulated flow of a socket the data plane delivered; undefined for a direct connection. */
export function flowOf(socket: Socket): Flow | undefined {
  return flows.get(socket);
}
