// Swagger UI at /docs as a partner uses it, in headless Chromium (Debian's, never a downloaded browser):
// paste an API key into "Authorize", run "Try it out" on listLeads and exportLeads, and see 200 with rows.
// Run by scripts/e2e.sh with ROOFKIT_BASE_URL, ROOFKIT_API_KEY, CHROMIUM and SCREENSHOT (a PNG path) set.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { launchChromium } from './browser.mjs';

const baseUrl = required('ROOFKIT_BASE_URL');
const apiKey = required('ROOFKIT_API_KEY');
const screenshot = required('SCREENSHOT');

const csvColumns = 'id,first_name,last_name,email,phone,street,city,region,postal_code,source,medium,campaign,'
  + 'status_stage_id,status_stage_name,notes,created_at,updated_at';

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

function step(text) {
  console.log(`swagger-ui: ${text}`);
}

const browser = await launchChromium();

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  const page = await context.newPage();
  // Every request the page makes stays on the API's own origin: the UI's assets are served by the API.
  const foreign = [];
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(baseUrl) && !url.startsWith('blob:') && !url.startsWith('data:')) foreign.push(url);
  });

  step(`open ${baseUrl}/docs`);
  await page.goto(`${baseUrl}/docs`);
  await page.locator('.swagger-ui .info .title').filter({ hasText: 'RoofKit Partner API' }).waitFor();
  for (const id of ['listLeads', 'exportLeads', 'listStatusStages']) {
    await page.locator(`#operations-${tagOf(id)}-${id}`).waitFor();
  }

  step('authorize with the API key');
  await page.locator('.scheme-container button.authorize').click();
  const dialog = page.locator('.dialog-ux .modal-ux');
  await dialog.getByText('ApiKey  (http, Bearer)').waitFor();
  await dialog.locator('input').fill(apiKey);
  await dialog.locator('button.modal-btn.auth.authorize').click();
  await dialog.getByRole('button', { name: 'Remove authorization' }).waitFor();
  await dialog.locator('button.btn-done').click();
  await page.locator('.scheme-container button.authorize.locked').waitFor();

  step('listLeads: Try it out with limit=5');
  const list = await tryItOut(page, 'listLeads', { limit: '5' });
  assert.equal(list.status, '200', `listLeads answered ${list.status}: ${list.body}`);
  const pageOfLeads = JSON.parse(list.body);
  assert.equal(pageOfLeads.data.length, 5, 'listLeads shows 5 leads');
  assert.equal(pageOfLeads.has_more, true);
  assert.match(pageOfLeads.data[0].id, /^[0-9a-f-]{36}$/);
  assert.match(list.headers, /x-ratelimit-remaining/i);
  assert.match(list.curl, /Authorization: Bearer rk_live_/, 'the request carried the pasted key');

  step('exportLeads: Try it out with limit=25, then download the CSV');
  const exported = await tryItOut(page, 'exportLeads', { limit: '25' });
  assert.equal(exported.status, '200', `exportLeads answered ${exported.status}: ${exported.body}`);
  assert.match(exported.headers, /x-export-truncated: true/i);
  assert.match(exported.headers, /content-disposition: attachment; filename="roofkit-leads-\d{8}T\d{6}Z\.csv"/i);
  const block = page.locator('#operations-Leads-exportLeads');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    block.locator('.live-responses-table').getByRole('link', { name: 'Download file' }).click(),
  ]);
  assert.match(download.suggestedFilename(), /^roofkit-leads-\d{8}T\d{6}Z\.csv$/);
  const csv = await readFile(await download.path(), 'utf8');
  assert.ok(csv.startsWith(`${csvColumns}\r\n`), 'the CSV starts with the contract header row');
  assert.equal(countRecords(csv), 26, 'the CSV has the header row and 25 rows');

  // One screen: listLeads' "Try it out" answer (status, headers, rows) under the authorized key.
  await page.locator('#operations-Leads-listLeads .responses-wrapper').evaluate((e) => e.scrollIntoView({ block: 'start' }));
  await page.screenshot({ path: screenshot });
  step(`screenshot: ${screenshot}`);

  step('the key outlives a reload (persistAuthorization)');
  await page.reload();
  await page.locator('.scheme-container button.authorize.locked').waitFor();

  assert.deepEqual(foreign, [], 'the page fetched nothing from other origins');
  step('passed');
} finally {
  await browser.close();
}

/** RFC 4180 records in text: a CRLF ends a record unless it is inside a quoted field (notes may hold line breaks). */
function countRecords(text) {
  let records = 0;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') quoted = !quoted;
    else if (!quoted && text[i] === '\r' && text[i + 1] === '\n') records++;
  }
  return records;
}

function tagOf(operationId) {
  return operationId === 'listStatusStages' ? 'StatusStages' : 'Leads';
}

/** Expands an operation, presses "Try it out", fills parameters, executes and reads the live response. */
async function tryItOut(page, operationId, parameters) {
  const block = page.locator(`#operations-${tagOf(operationId)}-${operationId}`);
  if (!(await block.locator('.opblock-body').isVisible())) {
    await block.locator('.opblock-summary').first().click();
  }
  await block.getByRole('button', { name: 'Try it out' }).click();
  for (const [name, value] of Object.entries(parameters)) {
    await block.locator(`tr[data-param-name="${name}"] input`).fill(value);
  }
  await block.getByRole('button', { name: 'Execute' }).click();
  const live = block.locator('.live-responses-table');
  await live.waitFor({ timeout: 30_000 });
  const status = (await live.locator('tbody .response-col_status').first().innerText()).trim();
  const bodyLocator = live.locator('tbody .response-col_description .highlight-code pre');
  const body = (await bodyLocator.count()) > 0 ? await bodyLocator.first().innerText() : '';
  const headers = await live.locator('tbody .response-col_description').first().innerText();
  const curl = await block.locator('.curl-command').innerText();
  return { status, body, headers, curl };
}
