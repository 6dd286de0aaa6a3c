/**
 * The demo: starts the local Kling stand-in, then runs the Kling AI node through n8n's own engine
 * to create three videos from text, waiting for them side by side and downloading each into n8n
 * binary data. It prints what the node returned and what the stand-in saw.
 *
 *   npm run demo
 */
import { runKlingNode } from '../test/helpers/engine';
import { startKlingStandIn } from '../stand-in';

const ACCESS_KEY = 'demo-access-key';
const SECRET_KEY = 'demo-secret-key';

async function main() {
	const standIn = await startKlingStandIn({
		accessKey: ACCESS_KEY,
		secretKey: SECRET_KEY,
		taskDurationMs: 2500,
		videoBytes: 512 * 1024,
	});
	console.log(`Kling stand-in listening on ${standIn.url}\n`);
	const prompts = [
		'A red fox running through fresh snow at sunrise, cinematic',
		'Waves crashing on a rocky shore, slow motion',
		'A paper boat drifting down a rainy street',
	];
	const started = Date.now();
	try {
		const { items, error } = await runKlingNode({
			parameters: {
				resource: 'textToVideo',
				operation: 'create',
				model: 'kling-v2-6',
				prompt: '={{ $json.prompt }}',
				mode: 'pro',
				sound: true,
				duration: '5',
				aspectRatio: '16:9',
				waitForCompletion: true,
				pollInterval: 1,
				downloadVideo: true,
			},
			credentials: {
				authentication: 'accessKey',
				accessKey: ACCESS_KEY,
				secretKey: SECRET_KEY,
				region: 'custom',
				baseUrl: standIn.url,
			},
			items: prompts.map((prompt) => ({ json: { prompt } })),
		});
		if (error) {
			console.error(`The node failed: ${error.message}\n${error.description ?? ''}`);
			process.exitCode = 1;
			return;
		}
		console.log(`Kling AI node (Create, Wait for Completion, Download Video): ${items.length} items in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
		for (const item of items) {
			const video = item.binary?.data;
			console.log(JSON.stringify(item.json, null, 2));
			console.log(`binary "data": ${video?.fileName} ${video?.mimeType} ${video?.fileSize}\n`);
		}
		const api = standIn.requests.filter((r) => r.kind !== 'download');
		console.log(
			`The stand-in saw ${api.length} API requests (${api.filter((r) => r.kind === 'create').length} creates, ${api.filter((r) => r.kind === 'get').length} polls), ` +
				`each signed with a fresh JWT: ${api.every((r) => r.auth.kind === 'jwt') ? 'yes' : 'NO'}; ` +
				`${standIn.requests.filter((r) => r.kind === 'download').length} video downloads.`,
		);
	} finally {
		await standIn.close();
	}
}

main().then(
	() => process.exit(process.exitCode ?? 0),
	(error) => {
		console.error(error);
		process.exit(1);
	},
);
