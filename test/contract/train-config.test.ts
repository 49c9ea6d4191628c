/**
 * One training config (issue 13): the contract's schema, the engine's TrainConfig and the Training
 * form's type agree field by field, and the choices and defaults are written once
 * (contract/train-config-values.ts) and read by the engine's defaultTrainConfig and the form.
 * The type checks are compile-time: `npx tsc --noEmit -p .` (in `npm test`) fails on a drift, the
 * runtime expectations below only keep the constants used.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { root, sourceFiles } from './source-files';
import { trainConfigSchema, type TrainConfigValues } from '../../src-main/contract/schemas/train-config';
import { defaultInputSize, GROUPS, SCALES, STEMS, TRAIN_CONFIG_DEFAULTS } from '../../src-main/contract/train-config-values';
import { FINE_TUNE_DEFAULTS } from '../../src-main/engine/step/fine-tune';
import { defaultTrainConfig } from '../../src-main/engine/train/config';
import type { TrainConfig } from '../../src-main/engine/types';
import { configFromForm, DEFAULT_FORM, type TrainForm } from '../../src-renderer/stores/training-config';

/** True only when A and B are the same type: optional against required and `T` against `T | undefined` count. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
/** An object type's own properties, spelled out, so two ways of building the same type compare equal. */
type Plain<T> = { [K in keyof T]: T[K] };
/** The keys of T that are not optional. */
type RequiredKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? never : K }[keyof T];

/** Where the two differ on purpose: the app decides the folders, names a run to start from by its id (services/training.ts turns it into the run's folder), and may leave the fine-tuning settings out. */
type AppDecides = 'dataset' | 'outDir';
type Differs = 'init' | 'headOnlyEpochs' | 'backboneLrScale';

// Every line is `true` only while the types agree; a drift makes that assignment a compile error.
const sameKeys: Equals<Exclude<keyof TrainConfig, AppDecides>, keyof TrainConfigValues> = true;
const sameFields: Equals<Plain<Omit<TrainConfig, AppDecides | Differs>>, Plain<Omit<TrainConfigValues, Differs>>> = true;
const fineTuningFilled: Equals<
  Plain<Pick<TrainConfig, 'headOnlyEpochs' | 'backboneLrScale'>>,
  Plain<Required<Pick<TrainConfigValues, 'headOnlyEpochs' | 'backboneLrScale'>>>
> = true;
const initIsAFolder: Equals<TrainConfig['init'], string | undefined> = true;
// The form's type is the schema's (stores/training-config.ts derives it), every field present.
const formFields: Equals<Plain<TrainForm>, Plain<Required<Pick<TrainConfigValues, keyof TrainForm>>>> = true;
// A default for every setting a run always has, and none for those absent by default.
const defaultsCoverRequired: Equals<keyof typeof TRAIN_CONFIG_DEFAULTS, Exclude<RequiredKeys<TrainConfig>, AppDecides>> = true;

const HOME = 'src-main/contract/train-config-values.ts';

/** A list written out as a literal: its items in order, joined by commas or bars (an array, a union type, a z.enum). */
function written(items: readonly (string | number)[]): RegExp {
  const item = (value: string | number) =>
    typeof value === 'string' ? `['"]${value}['"]` : String.raw`(?<![\d.])${String(value).replace('.', String.raw`\.`)}(?![\d.])`;
  return new RegExp(items.map(item).join(String.raw`\s*[,|]\s*`));
}

describe('one training config', () => {
  it('the engine, the contract and the form agree on every field (checked by tsc)', () => {
    expect([sameKeys, sameFields, fineTuningFilled, initIsAFolder, formFields, defaultsCoverRequired]).toEqual([true, true, true, true, true, true]);
  });

  it('the schema takes its choices from the one list', () => {
    expect(trainConfigSchema.shape.scale.values).toEqual(new Set(SCALES));
    expect(trainConfigSchema.shape.groups.values).toEqual(new Set(GROUPS));
    expect(trainConfigSchema.shape.stem.options).toEqual([...STEMS]);
    expect(trainConfigSchema.safeParse({ scale: 0.75 }).error?.issues.find((issue) => issue.path[0] === 'scale')).toBeDefined();
  });

  it('no other source file writes the scales, groups or stems out again', () => {
    const copies = [SCALES, GROUPS, STEMS].map(written);
    const found = [...sourceFiles(join(root, 'src-main')), ...sourceFiles(join(root, 'src-renderer'))]
      .map((file) => relative(root, file))
      .filter((file) => file !== HOME && copies.some((pattern) => pattern.test(readFileSync(join(root, file), 'utf8'))));
    expect(found).toEqual([]);
  });

  it('the defaults pass the schema, and the engine fills a run with exactly them', () => {
    expect(trainConfigSchema.safeParse(TRAIN_CONFIG_DEFAULTS).error).toBeUndefined();
    const { dataset, outDir, ...filled } = defaultTrainConfig({ dataset: '/data', outDir: '/run' });
    expect([dataset, outDir]).toEqual(['/data', '/run']);
    expect(filled).toEqual(TRAIN_CONFIG_DEFAULTS);
    expect(defaultTrainConfig({ dataset: '/data', outDir: '/run', stem: 'imagenet' }).inputSize).toBe(defaultInputSize('imagenet'));
    expect(defaultInputSize('imagenet')).toBe(224);
    expect(defaultTrainConfig({ dataset: '/data', outDir: '/run', seed: 7 }).seed).toBe(7);
    expect(FINE_TUNE_DEFAULTS).toEqual({ headOnlyEpochs: TRAIN_CONFIG_DEFAULTS.headOnlyEpochs, backboneLrScale: TRAIN_CONFIG_DEFAULTS.backboneLrScale });
  });

  it('the form starts from the same defaults, and spells the absent settings as absent', () => {
    const shared = Object.keys(DEFAULT_FORM).filter((key) => key in TRAIN_CONFIG_DEFAULTS);
    expect(Object.fromEntries(shared.map((key) => [key, DEFAULT_FORM[key as keyof TrainForm]]))).toEqual(
      Object.fromEntries(shared.map((key) => [key, TRAIN_CONFIG_DEFAULTS[key as keyof typeof TRAIN_CONFIG_DEFAULTS]])),
    );
    const absent = Object.fromEntries(Object.entries(DEFAULT_FORM).filter(([key]) => !(key in TRAIN_CONFIG_DEFAULTS)));
    expect(absent).toEqual({ limit: 0, init: 'scratch', linearProbe: false, device: 'auto' });
    // What the untouched form sends trains like a run that names nothing but the folders.
    const { config, errors } = configFromForm(DEFAULT_FORM);
    expect(errors).toEqual({});
    const { dataset: _dataset, outDir: _outDir, ...engine } = defaultTrainConfig({ dataset: '/data', outDir: '/run' });
    expect({ ...engine, ...config }).toEqual({ ...engine, init: 'scratch', linearProbe: false });
  });

  it('no other source file writes the defaults out again', () => {
    // Three or more settings at their default values in one file is a list of defaults (two occur
    // by chance, such as groups 3 and the cifar stem). services/presets.ts included: its presets
    // spread the defaults and write only where they differ.
    const literal = (value: string | number | boolean) =>
      typeof value === 'string'
        ? `['"]${value}['"]`
        : typeof value === 'number'
          ? String.raw`(?:${String(value).replace('.', String.raw`\.`)}|${value.toExponential().replace(/[.+]/g, String.raw`\$&`)})(?![\d.e])`
          : String(value);
    const pairs = Object.entries(TRAIN_CONFIG_DEFAULTS).map(([key, value]) => new RegExp(String.raw`\b${key}:\s*${literal(value)}`));
    const found = [...sourceFiles(join(root, 'src-main')), ...sourceFiles(join(root, 'src-renderer'))]
      .map((file) => relative(root, file))
      .filter((file) => file !== HOME)
      .filter((file) => {
        const source = readFileSync(join(root, file), 'utf8');
        return pairs.filter((pair) => pair.test(source)).length >= 3;
      });
    expect(found).toEqual([]);
  });
});
