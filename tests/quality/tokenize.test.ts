import { beforeAll, describe, expect, it } from 'vitest';
import { createTokenizer, padBatch, randomTokenSequences, resolveMaxLength, type TextTokenizer } from '../../src/core/quality/index.js';
import { miniLM, type MiniLM } from './helpers.js';

let m: MiniLM;
let tok: TextTokenizer;
let vocab: Record<string, number>;
beforeAll(async () => {
  m = await miniLM();
  tok = createTokenizer(m.tokenizer);
  vocab = (m.tokenizer.tokenizerJson as { model: { vocab: Record<string, number> } }).model.vocab;
});

describe('tokenizer (bert-base-uncased vocab of all-MiniLM-L6-v2)', () => {
  it('"hello world" -> [CLS] hello world [SEP]', () => {
    expect(tok.encode('hello world').ids).toEqual([101, 7592, 2088, 102]);
    expect(tok.encode('Hello World!').ids).toEqual([101, 7592, 2088, vocab['!'], 102]);
  });

  it('whole words map to their vocab ids, lower-cased', () => {
    const words = ['the', 'cat', 'sat', 'on', 'the', 'mat', '.'];
    const expected = [vocab['[CLS]'], ...words.map((w) => vocab[w]), vocab['[SEP]']];
    expect(expected.every((x) => typeof x === 'number')).toBe(true);
    expect(expected).toEqual([101, 1996, 4937, 2938, 2006, 1996, 13523, 1012, 102]);
    expect(tok.encode('The cat sat on the MAT.').ids).toEqual(expected);
    expect(tok.tokenToId('[PAD]')).toBe(0);
    expect(tok.padId).toBe(0);
  });

  it('matches the ids the Python tokenizer produced for the reference sentences (wordpieces included)', () => {
    m.reference.sentences.forEach((s, i) => {
      const want = m.reference.input_ids[i]!.filter((_, t) => m.reference.attention_mask[i]![t] === 1);
      expect(tok.encode(s).ids).toEqual(want);
    });
    // "Quantization" splits into pieces that are all in the vocab.
    expect(tok.encode('Quantization').ids).toEqual([101, vocab['quan'], vocab['##ti'], vocab['##zation'], 102]);
  });

  it('token type ids are zeros for a single sentence', () => {
    expect(tok.encode('a b c').typeIds).toEqual([0, 0, 0, 0, 0]);
  });

  it('truncates to max length and keeps [CLS] ... [SEP]', () => {
    const t16 = createTokenizer(m.tokenizer, { maxLength: 16 });
    const text = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen';
    const full = tok.encode(text);
    const cut = t16.encode(text);
    expect(full.ids.length).toBe(19);
    expect(full.truncated).toBe(false);
    expect(cut.truncated).toBe(true);
    expect(cut.ids).toEqual([...full.ids.slice(0, 15), 102]);
    expect(cut.typeIds.length).toBe(16);
    expect(t16.encode('short one').truncated).toBe(false);
  });

  it('max length: option > tokenizer.json truncation > tokenizer_config > model positions > 512, capped by positions', () => {
    expect(tok.maxLength).toBe(128);
    expect(tok.maxLengthSource).toBe('tokenizer.json truncation');
    expect(resolveMaxLength(m.tokenizer, { maxLength: 256, modelMaxPositions: 512 })).toMatchObject({ maxLength: 256, source: 'option' });
    const capped = resolveMaxLength(m.tokenizer, { maxLength: 1000, modelMaxPositions: 512 });
    expect(capped.maxLength).toBe(512);
    expect(capped.notes[0]).toMatch(/capped/);
    const noTrunc = { tokenizerJson: { ...m.tokenizer.tokenizerJson, truncation: null }, tokenizerConfig: m.tokenizer.tokenizerConfig };
    expect(resolveMaxLength(noTrunc, {})).toMatchObject({ maxLength: 512, source: 'tokenizer_config model_max_length' });
    expect(resolveMaxLength({ tokenizerJson: {} }, { modelMaxPositions: 256 })).toMatchObject({
      maxLength: 256,
      source: 'model position table',
    });
    expect(resolveMaxLength(null, {})).toMatchObject({ maxLength: 512, source: 'default' });
    expect(() => resolveMaxLength(null, { maxLength: 0 })).toThrow(RangeError);
  });
});

describe('batches and random ids', () => {
  it('pads right to the longest item, mask marks real tokens', () => {
    const b = padBatch(
      [
        { ids: [101, 7, 102], typeIds: [0, 0, 0], truncated: false },
        { ids: [101, 102], typeIds: [0, 1], truncated: false },
      ],
      0,
    );
    expect(b).toEqual({ batch: 2, seq: 3, ids: [101, 7, 102, 101, 102, 0], mask: [1, 1, 1, 1, 1, 0], typeIds: [0, 0, 0, 0, 1, 0] });
  });

  it('random sequences are valid ids, seeded, of varied length', () => {
    const a = randomTokenSequences(50, 30522, { seed: 3, minLen: 4, maxLen: 64 });
    expect(randomTokenSequences(50, 30522, { seed: 3, minLen: 4, maxLen: 64 })).toEqual(a);
    expect(randomTokenSequences(50, 30522, { seed: 4, minLen: 4, maxLen: 64 })).not.toEqual(a);
    const ids = a.flatMap((e) => e.ids);
    expect(Math.min(...ids)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...ids)).toBeLessThan(30522);
    expect(ids.every(Number.isInteger)).toBe(true);
    const lens = new Set(a.map((e) => e.ids.length));
    expect(lens.size).toBeGreaterThan(10);
    expect(Math.min(...lens)).toBeGreaterThanOrEqual(4);
    expect(Math.max(...lens)).toBeLessThanOrEqual(64);
  });
});
