/**
 * The layers of src/ (docs/architecture.md, "Layers"), checked by `npm run lint`. ESLint checks
 * what an import graph cannot see: clock and randomness reads inside src/core/ (eslint.config.js).
 *
 *   core     pure: imports only core and the pure packages below
 *   lib      impure shared helpers that are not a store: imports only core and lib
 *   storage  the one home for SQL: imports only core, lib and storage
 *   services (every other folder) never import server/ or cli/
 *   no cycles, type-only imports included
 */

/** npm packages src/core/ may use: schemas, templates, cron arithmetic, hashes. */
const PURE_PACKAGES = ['@sinclair/typebox', 'liquidjs', 'cron-parser'];
const PURE_PACKAGES_PATH = `^node_modules/(${PURE_PACKAGES.join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle (type-only imports count): move the shared piece into a module of its own.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-is-pure',
      severity: 'error',
      comment:
        'src/core/ imports only src/core/, @sinclair/typebox, liquidjs, cron-parser and node:crypto (hashes; ' +
        'ESLint refuses its random and scrypt functions). I/O and randomness belong in a shell.',
      from: { path: '^src/core/' },
      // Node built-ins resolve to their bare name (`node:crypto` → `crypto`).
      to: { pathNot: ['^src/core/', PURE_PACKAGES_PATH, '^crypto$'] },
    },
    {
      name: 'lib-imports-core-and-lib',
      severity: 'error',
      comment: 'src/lib/ holds shared impure helpers: it imports only src/core/ and src/lib/ (and packages).',
      from: { path: '^src/lib/' },
      to: { path: '^src/', pathNot: ['^src/(core|lib)/'] },
    },
    {
      name: 'storage-imports-core-lib-storage',
      severity: 'error',
      comment:
        'src/storage/ holds the SQL: it imports only src/core/, src/lib/ and src/storage/ (and packages).',
      from: { path: '^src/storage/' },
      to: { path: '^src/', pathNot: ['^src/(core|lib|storage)/'] },
    },
    {
      name: 'only-shells-import-server',
      severity: 'error',
      comment:
        'Only src/server/ and src/cli/ may import src/server/; services answer with outcomes, routes map them.',
      from: { path: '^src/', pathNot: '^src/(server|cli)/' },
      to: { path: '^src/server/' },
    },
    {
      name: 'only-cli-imports-cli',
      severity: 'error',
      comment: 'src/cli/ is the outermost shell: nothing outside it imports it.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['\\.sql$', '\\.json$'] },
    // Type-only imports are dependencies too: a type cycle is still a cycle.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.cjs', '.d.ts'],
    },
    moduleSystems: ['es6', 'cjs'],
    cache: { folder: 'node_modules/.cache/dependency-cruiser', strategy: 'content' },
  },
};
