/**
 * The README's model tables against the model tables the node reads: the same models, in the same order
 * (current first), with the same current/legacy status. A model added to a table without the README
 * (or the other way round) fails here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { IMAGE_TO_VIDEO_MODELS } from '../../nodes/KlingAi/models/imageToVideo';
import { KLING_MODELS } from '../../nodes/KlingAi/models/textToVideo';

const readme = readFileSync(path.resolve(__dirname, '..', '..', 'README.md'), 'utf8').split('\n');

/** The body rows of the Markdown table whose header line starts with `header`, as cells. */
function tableAfter(header: string): string[][] {
	const start = readme.findIndex((line) => line.startsWith(header));
	expect(start).toBeGreaterThanOrEqual(0);
	const rows: string[][] = [];
	for (const line of readme.slice(start + 2)) {
		if (!line.startsWith('|')) break;
		rows.push(line.split('|').slice(1, -1).map((cell) => cell.trim()));
	}
	return rows;
}

describe('README model tables', () => {
	it('text to video: every model of the table, in its order, with its status', () => {
		const rows = tableAfter('| Model (`model_name`) | Status |');
		expect(rows.map((cells) => /`([^`]+)`/.exec(cells[0])?.[1])).toEqual(KLING_MODELS.map((model) => model.id));
		expect(rows.map((cells) => (cells[1].startsWith('legacy') ? 'legacy' : cells[1]))).toEqual(
			KLING_MODELS.map((model) => (model.legacy ? 'legacy' : 'current')),
		);
	});

	it('image to video: every model of the table, in its order (current first)', () => {
		const rows = tableAfter('| Model | Mode | CFG Scale | Sound | Tail frame |');
		expect(rows.map((cells) => cells[0])).toEqual(IMAGE_TO_VIDEO_MODELS.map((model) => model.id));
		const firstLegacy = IMAGE_TO_VIDEO_MODELS.findIndex((model) => model.legacy);
		expect(IMAGE_TO_VIDEO_MODELS.slice(firstLegacy).every((model) => model.legacy)).toBe(true);
	});
});
