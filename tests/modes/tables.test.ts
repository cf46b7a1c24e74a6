/**
 * The option tables (src/core/modes/<mode>/meta.ts) are the one definition: the CLI's parser and --help, the page's
 * form and the README's option list must all say what the table says. Each check here fails when one of them drifts
 * (the page's controls are checked in the browser too: e2e/quantize.spec.ts "every option of the table").
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { QUANTIZE_USAGE, SHARED_FLAGS, modeUsage, positionals } from '../../src/cli/quantize-cmd.js';
import { run } from '../../src/cli/main.js';
import { DEFAULT_OP_TYPES } from '../../src/core/int8/registry.js';
import { PRESETS } from '../../src/core/int8/presets.js';
import { booleanFlags, formFor, optionsFromForm, parseModeFlags, valueFlags } from '../../src/core/modes/options.js';
import { MODE_IDS, MODE_METAS, modeMeta } from '../../src/core/modes/registry.js';
import type { OptionSpec } from '../../src/core/modes/types.js';
import { README, optionsBlock } from '../../scripts/readme-options.js';
import { fixture, pathOf } from '../helpers/fixtures.js';

/** A value other than the option's default (and, for preset options, other than the default preset's). */
function otherValue(o: OptionSpec): { cli: string[]; form: unknown; expected: unknown } {
  switch (o.kind) {
    case 'boolean': {
      const v = !o.default;
      return { cli: [v ? o.flag : `--no-${o.flag.slice(2)}`], form: v, expected: v };
    }
    case 'enum': {
      const v = [...o.choices].reverse().find((c) => c.value !== o.default)!.value;
      return { cli: [o.flag, String(v)], form: String(v), expected: v };
    }
    case 'number': {
      const v = o.max !== undefined ? o.max / 2 : (o.default || 1) * 2;
      return { cli: [`${o.flag}=${v}`], form: String(v), expected: v };
    }
    case 'list': {
      const v = o.choices ? [o.choices[1]!] : ['a', 'b'];
      return { cli: [o.flag, v.join(',')], form: o.page.control === 'checkboxes' ? v : v.join('\n'), expected: v };
    }
  }
}

describe('every mode table is consistent', () => {
  it('INT8 offers exactly the op types the engine registers, and preset options default to the default preset', () => {
    const int8 = modeMeta('int8');
    const opTypes = int8.options.find((o) => o.key === 'opTypes')!;
    expect(opTypes.kind === 'list' && [...(opTypes.choices ?? [])]).toEqual([...DEFAULT_OP_TYPES]);
    for (const o of int8.options.filter((x) => x.fromPreset)) {
      expect(o.default, o.key).toEqual(PRESETS[int8.defaultPreset as keyof typeof PRESETS][o.key as 'perChannel']);
      for (const p of int8.presets) expect(Object.keys(p.values), `${p.id} sets ${o.key}`).toContain(o.key);
    }
  });

  it('ids, suffixes, flags and page labels are unique; a flag means the same in every mode; controls fit kinds', () => {
    expect(new Set(MODE_IDS).size).toBe(MODE_IDS.length);
    expect(new Set(MODE_METAS.map((m) => m.suffix.toLowerCase())).size).toBe(MODE_METAS.length);
    expect(new Set(MODE_METAS.map((m) => m.transformersJs.suffix)).size).toBe(MODE_METAS.length);
    const shared = SHARED_FLAGS.map((f) => f.flag as string);
    const arity = new Map<string, boolean>();
    for (const m of MODE_METAS) {
      expect(m.transformersJs.fileName).toBe(`model${m.transformersJs.suffix}.onnx`);
      const flags = [...booleanFlags(m), ...valueFlags(m)];
      expect(new Set(flags).size, m.id).toBe(flags.length);
      expect(new Set(m.options.map((o) => o.page.label)).size, m.id).toBe(m.options.length);
      for (const f of flags) {
        expect(shared, `${m.id} ${f} collides with a shared flag`).not.toContain(f);
        const takesValue = valueFlags(m).includes(f);
        if (arity.has(f)) expect(arity.get(f), `${f} takes a value in one mode and not in another`).toBe(takesValue);
        arity.set(f, takesValue);
      }
      for (const o of m.options) {
        const want = {
          boolean: ['checkbox'],
          enum: ['select'],
          number: ['number'],
          list: o.kind === 'list' && o.choices ? ['checkboxes', 'textarea'] : ['textarea'],
        }[o.kind];
        expect(want, `${m.id}.${o.key}`).toContain(o.page.control);
        expect(o.help.length, `${m.id}.${o.key} help`).toBeGreaterThan(5);
      }
    }
  });
});

describe('the CLI comes from the tables', () => {
  it('--help lists every mode, every flag (booleans with their --no- form), every preset and choice', () => {
    for (const m of MODE_METAS) {
      expect(QUANTIZE_USAGE).toContain(`<out.onnx> ${m.id} [options]`);
      const help = modeUsage(m.id as never);
      for (const f of [...booleanFlags(m), ...valueFlags(m), ...SHARED_FLAGS.map((x) => x.flag)])
        expect(help, `${m.id} --help lacks ${f}`).toContain(f);
      for (const p of m.presets) expect(help).toContain(p.id);
      for (const o of m.options) {
        expect(help).toContain(o.help);
        if (o.kind === 'enum') for (const c of o.choices) expect(help).toContain(c.value);
      }
    }
    expect(modeUsage('int8')).toMatch(/--force\s+overwrite <out.onnx> if it exists .*already quantized.*rewrote nothing/s);
  });

  it('the parser takes every flag of the table and finds the mode word whatever flags come first', () => {
    for (const m of MODE_METAS) {
      for (const o of m.options) {
        const { cli, expected } = otherValue(o);
        const { options, positionals: pos } = parseModeFlags(m, ['in.onnx', ...cli, 'out.onnx', m.id]);
        expect(options[o.key], `${m.id} ${cli.join(' ')}`).toEqual(expected);
        expect(pos).toEqual(['in.onnx', 'out.onnx', m.id]);
        expect(positionals(['in.onnx', ...cli, '--force', 'out.onnx', m.id])).toEqual(['in.onnx', 'out.onnx', m.id]);
      }
      expect(() => parseModeFlags(m, ['--bogus'])).toThrow(/unknown option --bogus/);
    }
    expect(() => parseModeFlags(modeMeta('int8'), ['--op-types', 'MatMul,Gemm'])).toThrow(/--op-types: unknown value 'Gemm'/);
    expect(() => parseModeFlags(modeMeta('fp16'), ['--max-finite', '1e6'])).toThrow(
      '--max-finite must be above 0 and at most 65504 (got 1e6)',
    );
    expect(() => parseModeFlags(modeMeta('fp16'), ['--out-of-range', 'nope'])).toThrow(
      "--out-of-range takes keep-fp32, clamp (got 'nope')",
    );
    expect(() => parseModeFlags(modeMeta('int8'), ['--per-channel=no'])).toThrow(/takes no value/);
  });

  describe('every flag reaches the engine: the report of a real run says the value was used', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ava-tables-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const input = pathOf(fixture('openwakeword-hello-deepa'));
    for (const m of MODE_METAS)
      for (const o of m.options) {
        const { cli, expected } = otherValue(o);
        it(`${m.id} ${cli.join(' ')}`, async () => {
          let out = '';
          let err = '';
          // --force: some values make the run rewrite nothing (e.g. --nodes a,b), which is refused without it.
          const code = await run(['quantize', input, join(dir, `${m.id}-${o.key}.onnx`), m.id, ...cli, '--json', '--force'], {
            stdout: (t) => void (out += t),
            stderr: (t) => void (err += t),
          });
          expect(code, err).toBe(0);
          expect((JSON.parse(out) as { options: Record<string, unknown> }).options[o.key]).toEqual(expected);
        });
      }
  });
});

describe('the page form comes from the tables', () => {
  it('every option has a form value, and changing it puts exactly that option into the request', () => {
    for (const m of MODE_METAS) {
      const base = formFor(m);
      expect(Object.keys(base.values).sort()).toEqual(m.options.map((o) => o.key).sort());
      const untouched = optionsFromForm(m, base);
      expect(untouched).toEqual({ ok: true, options: m.defaultPreset ? { preset: m.defaultPreset } : {} });
      for (const o of m.options) {
        const { form, expected } = otherValue(o);
        const r = optionsFromForm(m, { ...base, values: { ...base.values, [o.key]: form as never } });
        expect(r, `${m.id}.${o.key}`).toEqual({
          ok: true,
          options: { ...(m.defaultPreset ? { preset: m.defaultPreset } : {}), [o.key]: expected },
        });
      }
    }
  });
});

describe('the README option list is the tables', () => {
  it('the block between the markers equals what npm run readme:options writes', () => {
    const readme = readFileSync(README, 'utf8');
    const block = optionsBlock();
    expect(readme.includes(block), 'README.md option list is stale: run npm run readme:options').toBe(true);
    for (const m of MODE_METAS) for (const o of m.options) expect(block).toContain(o.flag);
  });
});
