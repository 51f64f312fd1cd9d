/** Request bodies shared by the tests of this package and of the Argo adapter. */

// The example request of CLIENT-NOTES.md (`U0VMRUNUIDE=` is `SELECT 1`).
export const exampleCreate = () => ({
  namespace: 'dp',
  serverDryRun: false,
  workflow: {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name: 'sbx-7f3a9c2e', labels: { 'signalbox.io/run-id': '7f3a9c2e' } },
    spec: {
      entrypoint: 'main',
      templates: [
        {
          name: 'main',
          steps: [
            [{ name: 'extract', template: 'sql', arguments: { parameters: [{ name: 'q', value: 'U0VMRUNUIDE=' }] } }],
            [{ name: 'transform', template: 'sql', arguments: { parameters: [{ name: 'q', value: 'U0VMRUNUIDI=' }] } }],
            [{ name: 'publish', template: 'sql', arguments: { parameters: [{ name: 'q', value: 'U0VMRUNUIDM=' }] } }],
          ],
        },
        {
          name: 'sql',
          inputs: { parameters: [{ name: 'q' }] },
          container: { image: 'example/sql-runner:1', env: [{ name: 'SQL_B64', value: '{{inputs.parameters.q}}' }] },
        },
      ],
    },
  },
});
