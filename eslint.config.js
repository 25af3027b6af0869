import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// A statement's opening words: SELECT … FROM, INSERT INTO, UPDATE <table> SET, DELETE FROM.
const SQL_STATEMENT =
  '/(^|[\\s(])(SELECT\\s[\\s\\S]*\\bFROM\\b|INSERT\\s+INTO\\b|UPDATE\\s+[a-z_]+\\s+SET\\b|DELETE\\s+FROM\\b)/';

export default tseslint.config(
  { ignores: ['node_modules', 'data', 'dist', 'dist.tmp-*', 'dist.old-*', 'coverage', 'console/dist'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Console features are independent: a feature imports only itself and console/src/lib
    // (shared code), never another feature or the app shell (bulletproof-react). Feature
    // folders are flat, so `../x` from a feature file always means another feature.
    files: ['console/src/features/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!\\.\\./lib/)',
              message: 'a console feature may import only its own files and console/src/lib',
            },
            {
              regex: '(^|/)(features|app)/',
              message: 'a console feature may not import another feature or the app shell',
            },
          ],
        },
      ],
    },
  },
  {
    // The functional core reads no clock and draws no randomness: time comes in as a `Clock`
    // argument, ids and salts from the shell. dependency-cruiser (.dependency-cruiser.cjs) checks
    // which modules core imports; these rules check what an import graph cannot see.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        ...['node:crypto', 'crypto'].map((name) => ({
          name,
          importNames: [
            'default',
            'randomBytes',
            'randomFill',
            'randomFillSync',
            'randomInt',
            'randomUUID',
            'getRandomValues',
            'webcrypto',
            'generateKey',
            'generateKeySync',
            'generateKeyPair',
            'generateKeyPairSync',
            'generatePrime',
            'generatePrimeSync',
            'scrypt',
            'scryptSync',
            'pbkdf2',
            'pbkdf2Sync',
          ],
          message:
            'src/core/ may use node:crypto for hashes and HMAC only: randomness and key derivation belong in a shell',
        })),
      ],
      'no-restricted-globals': [
        'error',
        { name: 'crypto', message: 'src/core/ draws no randomness: take ids or bytes as arguments' },
        {
          name: 'performance',
          message: 'src/core/ reads no clock: take a `Clock` (core/clock.ts) as an argument',
        },
        { name: 'process', message: 'src/core/ reads no environment: take the value as an argument' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'src/core/ reads no clock: take a `Clock` (core/clock.ts) as an argument',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'src/core/ reads no clock: `new Date()` needs an instant passed in',
        },
        {
          selector: "CallExpression[callee.name='Date']",
          message: 'src/core/ reads no clock: `Date()` is the current time as text',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'src/core/ draws no randomness: take a seeded generator or the value as an argument',
        },
      ],
    },
  },
  {
    // One home for SQL: statements live in src/storage/ (control/ for PostgreSQL and PGlite,
    // warehouse/ for DuckDB). src/core/ may build SQL as pure compilers (audiences, scores); the
    // services call storage functions instead of writing statements.
    files: ['src/**/*.ts'],
    ignores: ['src/storage/**', 'src/core/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: `TemplateElement[value.raw=${SQL_STATEMENT}]`,
          message: 'SQL statements live under src/storage/: add a store function there and call it',
        },
        {
          selector: `Literal[value=${SQL_STATEMENT}]`,
          message: 'SQL statements live under src/storage/: add a store function there and call it',
        },
      ],
    },
  },
  {
    files: ['*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { module: 'writable', require: 'readonly' } },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
