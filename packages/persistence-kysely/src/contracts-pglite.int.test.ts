import { repositoryContracts } from '@signalbox/core/testing';
import { contractSubject } from './testing/test-database';

repositoryContracts('Kysely on PGlite', contractSubject('pglite'));
