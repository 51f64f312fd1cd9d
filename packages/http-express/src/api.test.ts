import { createServices, ProviderRegistry } from '@signalbox/core';
import { FakeClock, inMemoryPersistence, SequentialIds } from '@signalbox/core/testing';
import { MockProviderFactory } from '@signalbox/provider-mock';
import { apiSuite } from './testing';

apiSuite('in-memory repositories', async () => {
  const clock = new FakeClock(new Date());
  const ids = new SequentialIds();
  const mock = new MockProviderFactory(clock);
  const services = createServices({ ...inMemoryPersistence(ids), registry: new ProviderRegistry().register('mock', mock), clock, ids });
  return { services, mock, advanceClock: (ms) => clock.advance(ms) };
});
