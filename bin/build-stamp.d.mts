/** Types of build-stamp.mjs (plain JavaScript: bin/rekindle.js runs it before any TypeScript loader). */
export declare const DIST: string;
export declare const STAMP: string;
export declare const sourceFingerprint: (root: string | URL) => string;
export declare const buildIsCurrent: (root: string | URL) => boolean;
