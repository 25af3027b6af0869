export * from './schema.ts';
export { validateAudience } from './validate.ts';
export { compileAudience, AudienceCompiler, type CompileOptions } from './compiler.ts';
export { countQuery, membersQuery, sampleQuery, type CompiledQuery, type SqlValue } from './sql.ts';
export { twoGroupToTree, TwoGroupAudience } from './two-group.ts';
export { bucketOf } from './bucket.ts';
export { maskEmail, maskPhone } from './mask.ts';
export { resolveTime } from './time.ts';
export { DAY_MS } from '../time/units.ts';
