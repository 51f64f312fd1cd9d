import { providerContract } from '@signalbox/core/testing';
import { argoSetup } from './testing';

// The core's provider contract, over real HTTP against the Argo stub of each server version; every
// request the adapter sent must be valid against the official swagger files.
for (const argoVersion of ['3.7.18', '4.1.2'] as const) {
  providerContract(`Argo ${argoVersion} (stub)`, async () => {
    const { stub, provider } = await argoSetup({ argoVersion, seed: 7, templates: 3, cronWorkflows: 3, workflows: 40, archivedShare: 0.25 }, { pageSize: 7 });
    return {
      provider,
      close: async () => {
        try {
          expect(stub.violations).toEqual([]);
        } finally {
          await stub.close();
        }
      },
    };
  });
}
