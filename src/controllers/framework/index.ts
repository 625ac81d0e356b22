export * from './action.js';
export * from './actuator.js';
export * from './errors.js';
export * from './metrics.js';
export * from './reconciler.js';
export * from './types.js';
export * from './backends.js';
export * from './naming.js';
