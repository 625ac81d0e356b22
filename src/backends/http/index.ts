export * from './errors.js';
export * from './metrics.js';
export * from './transport.js';
export * from './client.js';
export * from './limiter.js';
