import { repositoryContracts } from '@signalbox/core/testing';
import { contractSubject } from './testing/test-database';

repositoryContracts('Kysely on PostgreSQL', contractSubject('postgres'));
