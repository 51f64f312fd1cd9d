export * from './contracts';
export * from './contracts/authorizer-contract';
export * from './contracts/provider-contract';
export * from './contracts/system-contract';
export * from './fakes';
export * from './in-memory-job-queue';
export * from './in-memory-provider';
export * from './in-memory-repositories';
