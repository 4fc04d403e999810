// Connection tracking: entries by 5-tuple with the NAT'd reply tuple, Linux default timeouts, expiry on
// an injected clock, kube-proxy's stale UDP clean-up, conntrack -L.
export { type ConntrackEntry, ConntrackTable, type UdpServicePort } from './conntrack.js';
