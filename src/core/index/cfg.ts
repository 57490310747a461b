/** cfg evaluation lives in cargo/cfg.ts (cargo/ reads it for target-specific dependencies). */
export * from '../cargo/cfg';
