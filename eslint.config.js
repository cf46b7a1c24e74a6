// ESLint (flat config): JavaScript's and typescript-eslint's recommended rules for every TypeScript and script file,
// eslint-plugin-svelte's for the components. Formatting is Prettier's job (.prettierrc.json), not ESLint's.
import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default ts.config(
  {
    ignores: [
      'dist/',
      '.cache/',
      'node_modules/',
      'test-results/',
      'playwright-report/',
      'dev-dist/',
      'bench/results/',
      '**/*.generated.ts',
    ],
  },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      // Names, paths and Markdown text are checked for control characters on purpose (zip names, batch names, exports).
      'no-control-regex': 'off',
      // Maps, sets and dates in components and controllers are caches or temporaries; what the page shows is $state,
      // reassigned as a whole (see src/app/controllers/), so Svelte's reactive collections would only add cost.
      'svelte/prefer-svelte-reactivity': 'off',
      // A leading underscore marks a binding kept on purpose (a destructured field left out, a positional argument).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          caughtErrors: 'none',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    // Tests and the bench build hostile or partial JSON on purpose and reach into the page's window.
    files: ['tests/**', 'e2e/**', 'bench/**'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'], svelteConfig } },
  },
);
