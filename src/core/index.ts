// Public surface of the analysis core (no `vscode` imports anywhere under src/core).
export * from './model';
export * from './resolve-api';
export * from './layout/types';
