export * from './evaluate.ts';
export * from './learners.ts';
export * from './qini.ts';
export * from './split.ts';
export * from './table.ts';
export * from './curves.ts';
export * from './deciles.ts';
export * from './segments.ts';
