/**
 * The quantize worker's target check of a written output (no comlink here, so Node tests run it on real outputs).
 */
import { siblingsOf } from '../src/core/io/files.js';
import { blobSource } from '../src/core/io/source.js';
import { OptionError } from '../src/core/modes/options.js';
import { openModel } from '../src/core/onnx/open.js';
import { DEFAULT_TARGET, TargetCheckError, checkTarget, type TargetCheck, type TargetId } from '../src/core/targets/index.js';

/**
 * The written output checked against the deployment target: opened by streaming (structure only; its data file, when
 * it has one, beside it), then checkTarget. A bad target or runtime version is the options' fault (kind 'options').
 */
export async function checkOutput(
  blob: Blob,
  name: string,
  data: { name: string; blob: Blob } | undefined,
  target: { id: TargetId; runtimeVersion?: string } | undefined,
): Promise<TargetCheck> {
  const siblings = siblingsOf(name, data ? [{ path: data.name, source: blobSource(data.blob) }] : []);
  const { model } = await openModel({ model: blobSource(blob), siblings });
  try {
    return checkTarget(model, target?.id ?? DEFAULT_TARGET, target?.runtimeVersion ? { runtimeVersion: target.runtimeVersion } : {});
  } catch (e) {
    if (e instanceof TargetCheckError) throw new OptionError(e.message);
    throw e;
  }
}
