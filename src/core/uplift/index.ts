export * from './evaluate.ts';
export * from './learners.ts';
export * from './qini.ts';
export * from './split.ts';
export * from './table.ts';
