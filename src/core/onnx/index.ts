export * from './summary.js';
export * from './errors.js';
export { inspectModel, type InspectOptions } from './inspect.js';
export { parseModel, type ModelView } from './model.js';
export { writeModel, concatParts } from './writer.js';
export { InvalidGraphError, validateModel } from './validate.js';
