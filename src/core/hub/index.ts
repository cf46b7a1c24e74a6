/** Loading a model from the Hugging Face Hub or a URL: parse the input, list, choose, download. */
export * from './errors.js';
export * from './ref.js';
export * from './api.js';
export * from './select.js';
export * from './download.js';
export * from './plan.js';
