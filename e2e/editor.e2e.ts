/**
 * The editor, in a real browser: n8n (`n8n start`) with the packed package installed as a
 * community package, driven through Debian's Chromium with playwright-core. The Kling AI node is
 * added from the node panel the way a user does it; then the model is switched and the fields the
 * editor shows are checked against the product's rules. Screenshots go to docs/.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { chromium, selectors, type Browser, type Page } from 'playwright-core';

import { findImageModel } from '../nodes/KlingAi/models/imageToVideo';
import { KLING_MODELS } from '../nodes/KlingAi/models/textToVideo';
import {
	ensureN8n,
	importCredentials,
	OWNER,
	newN8nUser,
	packPackage,
	registerCommunityPackage,
	removeN8nUsers,
	REPO,
	startN8nServer,
	VERSION,
} from './helpers/n8n';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The README's screenshots come from the newest n8n of the matrix; the others go to a temporary folder.
const DOCS = VERSION.screenshots ? path.join(REPO, 'docs') : mkdtempSync(path.join(tmpdir(), `kling-editor-${VERSION.version}-`));
const EDITOR = VERSION.suites.includes('editor');

let server: Awaited<ReturnType<typeof startN8nServer>>;
let browser: Browser;
let page: Page;

async function screenshot(name: string) {
	await page.screenshot({ path: path.join(DOCS, name) });
}

/** The node's parameters the editor shows right now, by name. */
async function shownParameters(): Promise<string[]> {
	const ids = await page
		.locator('[data-test-id="node-parameters"] [data-test-id^="parameter-input-"]')
		.evaluateAll((elements) => elements.map((element) => element.getAttribute('data-test-id') ?? ''));
	return [...new Set(ids.map((id) => id.replace('parameter-input-', '')).filter((name) => name && name !== 'field'))];
}

/**
 * Selectors that survive the editor's changes between n8n versions: n8n's test IDs first (stable
 * across 2.x), with role- and text-based fallbacks (`or`) where a test ID was renamed or is missing.
 */
const ui = {
	addFirstStep: () => page.getByTestId('canvas-add-button').or(page.getByRole('button', { name: /add first step/i })).first(),
	searchBar: () => page.getByTestId('node-creator-search-bar').or(page.getByPlaceholder(/search nodes/i)).first(),
	addNode: () => page.getByTestId('node-creator-plus-button').or(page.getByRole('button', { name: /add node/i })).first(),
	panelItem: (text: string) => page.getByTestId('item-iterator-item').or(page.getByRole('listitem')).filter({ hasText: text }).first(),
	// An option's accessible name also holds its description: match its title text exactly.
	option: (text: string) =>
		page
			.getByRole('option')
			.filter({ has: page.getByText(text, { exact: true }) })
			.or(page.locator('.el-select-dropdown__item').filter({ has: page.getByText(text, { exact: true }) }))
			.first(),
	// 2.8: a select whose dropdown offers "Create new credential"; 2.41: a "Connect to Kling AI" button
	// (node-credentials-empty-state) that opens the credential form itself.
	credentialEntry: () =>
		page
			.getByTestId('node-credentials-select')
			.or(page.getByTestId('node-credentials-empty-state'))
			.or(page.getByRole('button', { name: /connect to kling ai/i }))
			.first(),
	createNewCredential: () => page.getByText(/Create new credential/i).first(),
	credentialModal: () => page.getByTestId('editCredential-modal').or(page.getByRole('dialog').filter({ hasText: /Kling AI API/ })).first(),
};

async function choose(parameter: string, option: string) {
	await page.getByTestId(`parameter-input-${parameter}`).click();
	await ui.option(option).click();
	// The fields follow the choice within a render; give the editor a moment on a busy machine.
	await page.waitForTimeout(500);
}

beforeAll(async () => {
	if (!EDITOR) return;
	ensureN8n();
	const user = await newN8nUser(packPackage());
	await importCredentials(user, []); // runs n8n's migrations, so the package can be recorded as installed
	registerCommunityPackage(user);
	server = await startN8nServer(user);
	const setup = await fetch(`${server.url}/rest/owner/setup`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(OWNER),
	});
	if (!setup.ok) throw new Error(`owner setup failed: ${setup.status} ${await setup.text()}`);
	mkdirSync(DOCS, { recursive: true });
	selectors.setTestIdAttribute('data-test-id');
	browser = await chromium.launch({
		executablePath: CHROMIUM,
		args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
	});
	const context = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
	page = await context.newPage();
	const login = await page.request.post(`${server.url}/rest/login`, {
		data: { emailOrLdapLoginId: OWNER.email, password: OWNER.password },
	});
	if (!login.ok()) throw new Error(`login failed: ${login.status()}`);
}, 600_000);

afterAll(async () => {
	await browser?.close();
	await server?.stop();
	removeN8nUsers();
});

(EDITOR ? describe : describe.skip)(`the Kling AI node in the n8n ${VERSION.version} editor`, () => {
	it('is found in the node panel and added with its Create action', async () => {
		await page.goto(`${server.url}/workflow/new`, { waitUntil: 'networkidle' });
		await ui.addFirstStep().click();
		await ui.searchBar().pressSequentially('manual', { delay: 50 });
		await page.keyboard.press('Enter');
		await ui.addNode().click();
		await ui.searchBar().pressSequentially('kling', { delay: 50 });
		const item = ui.panelItem('Kling AI');
		await item.waitFor();
		await screenshot('editor-node-panel.png');
		await item.click();
		await page.getByText('Create video from text', { exact: true }).click();
		await page.getByTestId('parameter-input-waitForCompletion').waitFor();
		expect(await shownParameters()).toEqual(expect.arrayContaining(['model', 'prompt', 'waitForCompletion']));
	});

	// Each model of the table, in the editor: which model-specific fields does it show? The expectation
	// is the model table's row (Standard mode and 5 s stay the defaults while the model changes).
	it.each(KLING_MODELS.map((model) => [model.name, model] as const))('%s shows exactly its fields', async (name, model) => {
		await choose('model', name);
		const shown = await shownParameters();
		const id = model.id;
		expect({
			mode: shown.includes('mode'),
			sound: shown.includes('sound'),
			cfgScale: shown.includes('cfgScale'),
			multiShot: shown.includes('multiShot'),
			cameraControl: shown.includes('cameraControl'),
		}).toEqual({
			mode: model.modes.length > 0,
			sound: model.soundModes.length > 0,
			cfgScale: model.cfgScale,
			multiShot: model.multiShot,
			cameraControl: !!model.cameraControl && model.cameraControl.modes.includes('std') && model.cameraControl.durations.includes('5'),
		});
		if (id === 'kling-v2-6') await screenshot('editor-kling-v2-6.png');
		if (id === 'kling-v1') {
			await page.getByTestId('parameter-input-cfgScale').scrollIntoViewIfNeeded();
			await screenshot('editor-kling-v1.png');
		}
	});

	const cameraModel = KLING_MODELS.find((model) => model.cameraControl && !model.cameraControl.modes.includes('pro'));
	(cameraModel ? it : it.skip)(`hides camera control for ${cameraModel?.id} in Professional mode`, async () => {
		await choose('model', cameraModel!.name);
		expect(await shownParameters()).toContain('cameraControl');
		await choose('mode', 'Professional');
		expect(await shownParameters()).not.toContain('cameraControl');
		await choose('mode', 'Standard');
	});

	it('Kling 3.0 with Multi-Shot on shows the shot type and the shots', async () => {
		await choose('model', 'Kling 3.0');
		expect(await shownParameters()).not.toContain('shotType');
		await page.getByTestId('parameter-input-multiShot').locator('.el-switch, [role="switch"], input').first().click();
		await page.getByTestId('parameter-input-shotType').waitFor();
		expect(await shownParameters()).toEqual(expect.arrayContaining(['multiShot', 'shotType', 'sound', 'duration']));
		await page.getByTestId('parameter-input-shotType').scrollIntoViewIfNeeded();
		await screenshot('editor-kling-3-multi-shot.png');
	});

	it('Image to Video shows the image inputs, and per model what it takes', async () => {
		await choose('resource', 'Image to Video');
		await page.getByTestId('parameter-input-imageInputType').waitFor();
		await choose('model', findImageModel('kling-v1')!.name);
		const v1 = await shownParameters();
		expect(v1).toEqual(expect.arrayContaining(['imageInputType', 'tailFrame', 'imageCfgScale']));
		expect(v1).not.toContain('imageSound');
		await screenshot('editor-image-to-video-kling-v1.png');
		await choose('model', findImageModel('kling-v2-6')!.name);
		const v26 = await shownParameters();
		expect(v26).toEqual(expect.arrayContaining(['imageInputType', 'imageSound']));
		expect(v26).not.toContain('imageCfgScale');
		await screenshot('editor-image-to-video-kling-v2-6.png');
		await choose('resource', 'Text to Video');
	});

	it('the credential form shows the region, and for a custom URL the proxy fields', async () => {
		await ui.credentialEntry().click();
		const modal = ui.credentialModal();
		await modal.or(ui.createNewCredential()).first().waitFor();
		if (!(await modal.isVisible())) await ui.createNewCredential().click();
		await modal.waitFor();
		const inputs = async () =>
			await modal.locator('[data-test-id^="parameter-input-"]').evaluateAll((elements) =>
				elements.map((element) => (element.getAttribute('data-test-id') ?? '').replace('parameter-input-', '')),
			);
		// The form renders its fields in steps: wait for the last of the default ones.
		await modal.getByTestId('parameter-input-secretKey').waitFor();
		expect(await inputs()).toEqual(expect.arrayContaining(['authentication', 'accessKey', 'secretKey', 'region']));
		expect(await inputs()).not.toContain('baseUrl');
		await modal.getByTestId('parameter-input-region').click();
		await page.getByRole('option', { name: 'Custom URL (Proxy or Reseller)' }).or(ui.option('Custom URL (Proxy or Reseller)')).first().click();
		await modal.getByTestId('parameter-input-modelField').waitFor();
		expect(await inputs()).toEqual(expect.arrayContaining(['baseUrl', 'pathPrefix', 'modelField']));
		// Let the region's dropdown finish closing, or it shows half-faded in the screenshot.
		await page.getByRole('listbox').filter({ hasText: 'Custom URL' }).waitFor({ state: 'hidden' }).catch(() => undefined);
		await page.waitForTimeout(500);
		await screenshot('credential-custom-url.png');
	});
});
