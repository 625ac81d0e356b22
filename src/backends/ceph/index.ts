/** Ceph clients: the Manager dashboard REST API and the RGW Admin Ops API. */
export * from './block-storage.js';
export * from './dashboard.js';
export type * from './dashboard-types.js';
export * from './errors.js';
export * from './image-spec.js';
export * from './metrics.js';
export * from './rgw.js';
export * from './sigv4.js';
export { HttpTransport, isBackendError } from './transport.js';
export type { HttpSender, TransportLogger, TransportOptions, TransportRequest, TransportResponse } from './transport.js';
