// Well-known labels that several components read and write: the EndpointSlice controller writes
// them, kube-proxy and CoreDNS read them (k8s.io/api discovery/v1 and core/v1 well_known_labels.go:
// https://github.com/kubernetes/api/blob/v0.32.0/discovery/v1/well_known_labels.go,
// https://github.com/kubernetes/api/blob/v0.32.0/core/v1/well_known_labels.go).

/** discovery.LabelServiceName: the Service an EndpointSlice belongs to. */
export const labelServiceName = 'kubernetes.io/service-name';
/** discovery.LabelManagedBy: the controller that manages an EndpointSlice. */
export const labelManagedBy = 'endpointslice.kubernetes.io/managed-by';
/** v1.IsHeadlessService: set on the EndpointSlices of a headless Service. */
export const labelHeadlessService = 'service.kubernetes.io/headless';
/** v1.LabelTopologyZone: a Node's zone, copied into its endpoints' `zone`. */
export const labelTopologyZone = 'topology.kubernetes.io/zone';
