/**
 * Get Many: Kling lists tasks newest first with no total, so the node pages until a page comes back
 * shorter than asked for, or the limit is reached.
 */
import { runKlingNode } from '../../../../helpers/engine';
import { createTasksDirectly, getManyParams, jwtCredentials } from '../../../../helpers/kling-test-kit';
import { type KlingStandIn, startKlingStandIn } from '../../../../../stand-in';

describe('Get Many', () => {
	let standIn: KlingStandIn;

	beforeAll(async () => {
		standIn = await startKlingStandIn({ callbacks: false });
	});
	afterAll(async () => {
		await standIn.close();
	});
	beforeEach(() => standIn.reset());

	/** Tasks made directly at the stand-in; the list requests of the node are recorded afresh. */
	async function givenTasks(count: number): Promise<string[]> {
		const ids = await createTasksDirectly(standIn, count);
		standIn.requests.length = 0;
		return ids;
	}

	const pagesAsked = () =>
		standIn.requests.filter((r) => r.kind === 'list').map((r) => [Number(r.query.pageNum), Number(r.query.pageSize)]);

	const run = (parameters: Parameters<typeof getManyParams>[0]) =>
		runKlingNode({ parameters: getManyParams(parameters), credentials: jwtCredentials(standIn) });

	it('Return All reads every page and returns all tasks, newest first', async () => {
		const ids = await givenTasks(23);

		const result = await run({ returnAll: true, options: { pageSize: 5 } });

		expect(result.error).toBeUndefined();
		expect(pagesAsked()).toEqual([
			[1, 5],
			[2, 5],
			[3, 5],
			[4, 5],
			[5, 5],
		]);
		expect(result.items.map((item) => item.json.task_id)).toEqual([...ids].reverse());
	});

	it('Return All stops at the first page shorter than the page size', async () => {
		await givenTasks(12);

		const result = await run({ returnAll: true, options: { pageSize: 5 } });

		expect(result.items).toHaveLength(12);
		expect(pagesAsked()).toEqual([
			[1, 5],
			[2, 5],
			[3, 5],
		]);
	});

	it('Return All asks one more page when the last page is exactly full, and stops on the empty one', async () => {
		await givenTasks(10);

		const result = await run({ returnAll: true, options: { pageSize: 5 } });

		expect(result.items).toHaveLength(10);
		expect(pagesAsked()).toEqual([
			[1, 5],
			[2, 5],
			[3, 5],
		]);
	});

	it('the default limit of 50 returns the 50 newest tasks from a single page', async () => {
		const ids = await givenTasks(60);

		const result = await run({});

		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.task_id)).toEqual([...ids].reverse().slice(0, 50));
		expect(pagesAsked()).toEqual([[1, 50]]);
	});

	test.each([
		// limit, page size option, pages expected
		[7, 5, [[1, 5], [2, 5]]],
		[10, 5, [[1, 5], [2, 5]]],
		[3, 5, [[1, 3]]],
		[5, undefined, [[1, 5]]],
	])('a limit of %s with page size %s asks no more pages than needed', async (limit, pageSize, pages) => {
		const ids = await givenTasks(23);

		const result = await run({ limit, ...(pageSize ? { options: { pageSize } } : {}) });

		expect(result.items.map((item) => item.json.task_id)).toEqual([...ids].reverse().slice(0, limit));
		expect(pagesAsked()).toEqual(pages);
	});

	it('a limit above the number of tasks returns them all and stops at the short page', async () => {
		await givenTasks(4);

		const result = await run({ limit: 20, options: { pageSize: 3 } });

		expect(result.items).toHaveLength(4);
		expect(pagesAsked()).toEqual([
			[1, 3],
			[2, 3],
		]);
	});

	it('an empty list gives zero items and no error', async () => {
		const result = await run({ returnAll: true });

		expect(result.error).toBeUndefined();
		expect(result.items).toEqual([]);
		expect(pagesAsked()).toHaveLength(1);
	});

	it('returns simplified tasks by default and Kling\'s raw tasks when Simplify is off', async () => {
		const [id] = await givenTasks(1);

		const simplified = await run({ returnAll: true });
		const raw = await run({ returnAll: true, simplify: false });

		expect(simplified.items[0].json).toMatchObject({
			task_id: id,
			task_status: 'succeed',
			video_url: `${standIn.url}/files/${id}/1.mp4`,
			created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
		});
		expect(simplified.items[0].json).not.toHaveProperty('task_result');
		expect(raw.items[0].json).toMatchObject({
			task_id: id,
			task_result: { videos: [expect.objectContaining({ url: `${standIn.url}/files/${id}/1.mp4` })] },
			created_at: expect.any(Number),
		});
	});
});
