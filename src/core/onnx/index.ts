export * from './summary.js';
export * from './errors.js';
export { inspectModel, type InspectOptions } from './inspect.js';
export { parseModel, type ModelView } from './model.js';
export { writeModel, concatParts, collectPieces, type Piece } from './writer.js';
export { openModel, openBytes, inputBytes, type OpenedModel } from './open.js';
export { InvalidGraphError, validateModel } from './validate.js';
