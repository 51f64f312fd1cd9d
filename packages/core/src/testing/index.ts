export * from './contracts';
export * from './fakes';
export * from './in-memory-repositories';
