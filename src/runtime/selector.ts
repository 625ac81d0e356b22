/** Label selectors for cache queries: the same parser and matcher the embedded API server uses. */
export type { LabelRequirement as Requirement, LabelSelector } from '../kube/labels.js';
export { parseLabelSelector, matchesLabels as matchesSelector, LabelSelectorError } from '../kube/labels.js';
