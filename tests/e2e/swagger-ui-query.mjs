// Swagger UI at /docs shows this API's document only (CONTRACT.md §1): `?url=` and `?configUrl=` in the address bar
// are ignored, so a key typed into the page is never sent to another server. A fake server on 127.0.0.1 offers a
// document and a config whose servers point at itself (CORS open, so a browser could load them) and counts every
// request it receives; after /docs has been opened with each query, it must have received none.
// Run by scripts/e2e.sh with ROOFKIT_BASE_URL and CHROMIUM set.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { launchChromium } from './browser.mjs';

const baseUrl = process.env.ROOFKIT_BASE_URL;
if (!baseUrl) throw new Error('ROOFKIT_BASE_URL is not set');

function step(text) {
  console.log(`swagger-ui-query: ${text}`);
}

const received = [];
const fake = createServer((request, response) => {
  received.push(`${request.method} ${request.url}`);
  const origin = `http://127.0.0.1:${fake.address().port}`;
  const documents = {
    '/spec.json': {
      openapi: '3.0.3',
      info: { title: 'Not RoofKit', version: '1' },
      servers: [{ url: origin }],
      components: { securitySchemes: { ApiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ ApiKey: [] }],
      paths: { '/collect': { get: { operationId: 'collect', responses: { 200: { description: 'ok' } } } } },
    },
    '/config.json': { url: `${origin}/spec.json` },
  };
  const body = documents[request.url.split('?')[0]];
  response.writeHead(body ? 200 : 404, {
    'Content-Type': 'application/json',
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Allow-Headers': '*',
  });
  response.end(JSON.stringify(body ?? {}));
});
await new Promise((resolve) => fake.listen(0, '127.0.0.1', resolve));
const fakeOrigin = `http://127.0.0.1:${fake.address().port}`;

const browser = await launchChromium();

try {
  const spec = encodeURIComponent(`${fakeOrigin}/spec.json`);
  const config = encodeURIComponent(`${fakeOrigin}/config.json`);
  const addresses = [
    `/docs?url=${spec}`,
    `/docs/index.html?url=${spec}`,
    `/docs/index.html?url=/openapi/v1.json&url=${spec}`,
    `/docs?configUrl=${config}`,
    `/docs/index.html?configUrl=${config}`,
    `/docs/index.html?config=${config}`,
  ];
  for (const address of addresses) {
    const context = await browser.newContext();
    const page = await context.newPage();
    step(`open ${address}`);
    await page.goto(`${baseUrl}${address}`);
    // The UI renders the one document it loaded: it must be this API's, with its operations.
    const title = page.locator('.swagger-ui .info .title');
    await title.waitFor();
    assert.match(await title.innerText(), /^RoofKit Partner API/, `${address} shows another document`);
    await page.locator('#operations-Leads-listLeads').waitFor();
    assert.equal(await page.locator('#operations-default-collect').count(), 0, `${address} shows the fake operation`);
    await context.close();
  }

  assert.deepEqual(received, [], `the fake server at ${fakeOrigin} was asked for something`);
  step(`the fake server received ${received.length} requests`);
  step('passed');
} finally {
  await browser.close();
  fake.close();
}
