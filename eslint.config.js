// ESLint 9 flat config: the recommended sets of ESLint, typescript-eslint and eslint-plugin-vue,
// plus the import walls of docs/architecture.md as `no-restricted-imports`. Not type-aware on
// purpose: `tsc` and `vue-tsc` already check types in `npm test`, and a typed lint would cost
// tens of seconds on this 2-core machine instead of a few.
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import pluginVue from 'eslint-plugin-vue';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** The packages that only the engine and the ML host may load (issue 13: "no tfjs or onnxruntime
 * outside the engine and ML host"): serve mode, the services and the renderer stay free of them. */
const mlRuntimes = {
  group: ['@tensorflow/*', 'onnxruntime-*'],
  message:
    'TensorFlow.js and ONNX Runtime load only in src-main/engine/ and src-main/ml-host/: use an engine function (through the ML host from the services).',
};

/** Outside src-main/engine/, the engine is imported only through its entry points in
 * src-main/engine/api/ (issue 13: "the engine has one public index"), so its folders can change
 * behind them: `engine/api` (index.ts: training, evaluation, prediction, audit, explanations,
 * export; loads TensorFlow.js) for the CLI and the ML host, which re-exports `engine/api/light`
 * (types, errors, plain helpers; Node built-ins only) and `engine/api/scan` (image sniffing,
 * dataset scanning; sharp and jpeg-js, no model runtime; the CIFAR-10 download is in the index). Type-only imports
 * count too: the light entry exports every public type. */
const engineEntries = {
  regex: '(^|/)engine/(?!api(/light|/scan)?$)',
  message:
    "Import the engine only through 'engine/api', 'engine/api/light' or 'engine/api/scan' (export what you need there; inside src-main/engine/ imports are free).",
};

/** The app's own process (server, services, storage, Electron's main process, the preload) never
 * loads a model runtime, so it may import only the light and scan entries. */
const lightEngineEntry = {
  regex: '(^|/)engine/(?!api/(light|scan)$)',
  message:
    "This process loads no tfjs or ONNX Runtime: import the engine only through 'engine/api/light' or 'engine/api/scan' ('engine/api' is for the CLI and the ML host).",
};

/** Renderer code runs in Chromium: it may use the contract (zod schemas and types, shared by every
 * process) but no other main-side code, no Node built-in and no native package. */
const rendererWall = [
  mlRuntimes,
  {
    regex: 'src-main/(?!contract/)',
    message: 'The renderer may import only src-main/contract/ from the main side; everything else runs in Node.',
  },
  {
    group: ['node:*', 'electron', 'better-sqlite3', 'sharp', 'ws'],
    message: 'The renderer runs in Chromium: Node built-ins and native packages are not there (the preload exposes what it needs).',
  },
];

/** The contract runs in every process, so it imports nothing but zod and its own files. */
const contractWall = [
  {
    regex: '^(?!\\.|zod$)',
    message: 'The contract imports nothing but zod (it is loaded by every process, the renderer included).',
  },
  {
    regex: '(^|/)(engine|services|storage|server|cli|ml-host|electron|preload|src-renderer)(/|$)',
    message: 'The contract imports nothing but zod and its own files.',
  },
];

/** A pattern's `group` globs as one regular expression, for `import('...')` calls. */
function patternRegex({ group, regex }) {
  if (regex) return regex;
  return group.map((glob) => `^${glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).join('|');
}

/** A wall as lint rules: `@typescript-eslint/no-restricted-imports` for `import`/`export ... from`
 * (`allowTypeImports` lets type-only imports pass, which vanish at run time; a pattern may set its
 * own), and
 * `no-restricted-syntax` for `import('...')`, which `no-restricted-imports` does not look at. */
const walls = (patterns, { allowTypeImports = false } = {}) => ({
  'no-restricted-imports': 'off',
  '@typescript-eslint/no-restricted-imports': ['error', { patterns: patterns.map((pattern) => ({ allowTypeImports, ...pattern })) }],
  'no-restricted-syntax': [
    'error',
    ...patterns.map((pattern) => ({
      // esquery ends a regular expression at its first `/`, even an escaped one: write it as \x2F.
      selector: `ImportExpression[source.value=/${patternRegex(pattern).replaceAll('/', '\\x2F')}/]`,
      message: pattern.message,
    })),
  ],
});

export default defineConfig(
  // Build output, installed packages and test artefacts (the .gitignore's list).
  globalIgnores([
    'dist/**',
    'dist-*/**',
    'node_modules/**',
    'release/**',
    '.cache/**',
    'test-results/**',
    'playwright-report/**',
    'runs/**',
    'tmp/**',
    '.scratch/**',
  ]),
  js.configs.recommended,
  tseslint.configs.recommended,
  pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: { ...globals.node },
    },
    rules: {
      // Unused names are findings, but `_`-prefixed ones are deliberate (an ignored argument or a
      // destructured-away field), and a caught error that is not read needs no name juggling.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true }],
      // `tsc` already reports undefined names with better messages, and `no-undef` does not know
      // TypeScript's ambient types (NodeJS, DOM lib; 89 false findings): typescript-eslint advises off.
      'no-undef': 'off',
    },
  },
  {
    // Layout rules of eslint-plugin-vue's recommended set: Prettier lays the templates out
    // (`npm run format:check` in `npm test`), and these rules disagree with its layout.
    files: ['**/*.vue'],
    rules: {
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/multiline-html-element-content-newline': 'off',
      'vue/html-closing-bracket-newline': 'off',
      'vue/html-self-closing': 'off',
      'vue/html-indent': 'off',
    },
  },
  {
    // Playwright fixtures must destructure their first argument, even when they use no other fixture
    // (`async ({}, use) => ...`): Playwright reads the parameter list to find dependencies.
    files: ['test/**/*.ts'],
    rules: { 'no-empty-pattern': ['error', { allowObjectPatternsAsParameters: true }] },
  },
  {
    files: ['src-renderer/**/*.{ts,vue}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: walls(rendererWall),
  },
  {
    files: ['src-main/**/*.ts'],
    ignores: ['src-main/engine/**', 'src-main/ml-host/**', 'src-main/contract/**', 'src-main/cli/**'],
    rules: walls([{ ...mlRuntimes, allowTypeImports: true }, lightEngineEntry]),
  },
  {
    files: ['src-main/cli/**/*.ts'],
    rules: walls([{ ...mlRuntimes, allowTypeImports: true }, engineEntries]),
  },
  {
    files: ['src-main/ml-host/**/*.ts'],
    rules: walls([engineEntries]),
  },
  {
    files: ['src-main/contract/**/*.ts'],
    rules: walls(contractWall),
  },
);
