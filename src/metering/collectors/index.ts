export * from './collector.js';
export * from './compute.js';
export * from './lifecycle.js';
export * from './metrics.js';
export * from './sample-store.js';
export * from './sampled-usage.js';
export * from './sweep.js';
