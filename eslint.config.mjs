// ESLint flat config for the TypeScript tooling under tools/ (the images themselves hold no code).
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['**/node_modules/**', '**/dist/**', '**/tmp/**', '**/.nx/**', '**/coverage/**'] },
  {
    files: ['tools/**/*.{ts,mts,cts}'],
    extends: [js.configs.recommended, tseslint.configs.strictTypeChecked],
    languageOptions: {
      parserOptions: {
        // The project service finds each file's tsconfig (tools/nx-images/tsconfig.json) without listing them here.
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // `_`-prefixed names mark parameters an interface requires but this implementation ignores.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Numbers and booleans in messages read fine; objects still must be stringified on purpose.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // A floating promise in tooling is a lost error; an un-awaited async call must be explicit (`void`).
      '@typescript-eslint/no-floating-promises': 'error',
      // Type-only imports are erased by swc at run time; keeping them explicit avoids accidental side-effect imports.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Off until tsconfig enables noUncheckedIndexedAccess: without it `record[key]`, `array[0]` and regex
      // groups are typed as always present, so this rule asks to delete guards that are needed.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Style only: `() => void f()` shorthand is clear enough and common in callbacks.
      '@typescript-eslint/no-confusing-void-expression': 'off',
    },
  },
  {
    // Test files: vitest's `expect(...).rejects` and mocks make these checks noisy without catching bugs.
    files: ['tools/**/*.test.ts', 'tools/**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
