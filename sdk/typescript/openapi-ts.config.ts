// @hey-api/openapi-ts configuration: `npm run generate` (sdk/run.sh) writes the client into ./client.
// 0.95.x is the last line that runs on Node 20; it needs TypeScript 6.0 (7.x breaks it).
import { defineConfig } from '@hey-api/openapi-ts';

export default defineConfig({
  input: '../../openapi/openapi.json',
  output: { path: 'client' },
  plugins: [
    '@hey-api/client-fetch',
    // Enums as JavaScript objects too (CredentialStatus.ELIGIBLE), not only as string-literal types.
    { name: '@hey-api/typescript', enums: 'javascript' },
    // zod schemas of every model; the SDK validates every JSON response against them before returning it.
    'zod',
    { name: '@hey-api/sdk', validator: { request: false, response: 'zod' } },
  ],
});
