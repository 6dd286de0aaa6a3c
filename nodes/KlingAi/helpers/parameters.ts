import type { IExecuteFunctions, INode } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

/** Bad input found before anything is sent: what is wrong, and how to fix it. */
export class KlingInputError extends Error {
	constructor(
		message: string,
		readonly fix: string,
	) {
		super(message);
		this.name = 'KlingInputError';
	}
}

/**
 * Any error as n8n shows it: n8n's own errors pass through; bad input keeps its fix and says that
 * nothing was sent; anything else is wrapped.
 */
export function asNodeError(node: INode, error: unknown, itemIndex?: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (error instanceof KlingInputError) {
		return new NodeOperationError(node, itemIndex === undefined ? error.message : `${error.message} [item ${itemIndex}]`, {
			description: `${error.fix} Nothing was sent to Kling.`,
			itemIndex,
		});
	}
	return new NodeOperationError(node, error as Error, { itemIndex });
}

export interface NumberRule {
	min: number;
	max: number;
	/** Whole numbers only. */
	integer?: boolean;
	/** Said after the range in errors, e.g. "seconds". */
	unit?: string;
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** How a value reads in an error: short, and with its type when it is not a plain number. */
export function shown(value: unknown): string {
	if (value === undefined || value === null) return 'empty';
	if (typeof value === 'string') return value.trim() === '' ? 'empty' : `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
	if (typeof value === 'number') return String(value);
	if (typeof value === 'boolean') return `${value} (a boolean)`;
	return Array.isArray(value) ? 'a list' : 'an object';
}

/**
 * A number from a parameter, which an expression may have turned into nothing, text, NaN or an
 * object: it must be a finite decimal number within the rule's range. Text holding a plain decimal
 * number ("10") is taken; hex, empty text and anything else are not.
 */
export function readNumber(value: unknown, label: string, rule: NumberRule): number {
	const parsed = typeof value === 'number' ? value : typeof value === 'string' && DECIMAL.test(value.trim()) ? Number(value.trim()) : NaN;
	const range = `${rule.integer ? 'a whole number' : 'a number'} from ${rule.min} to ${rule.max}${rule.unit ? ` ${rule.unit}` : ''}`;
	if (!Number.isFinite(parsed) || parsed < rule.min || parsed > rule.max || (rule.integer && !Number.isInteger(parsed))) {
		throw new KlingInputError(
			`${label} is ${shown(value)}; it must be ${range}`,
			`Set ${label} to ${range}. If it comes from an expression, check that the expression gives such a number for this item.`,
		);
	}
	return parsed;
}

/** readNumber for a node parameter; `fallback` is used only when n8n does not show the parameter. */
export function numberParameter(
	ctx: IExecuteFunctions,
	name: string,
	itemIndex: number,
	label: string,
	rule: NumberRule,
	fallback: number,
): number {
	return readNumber(ctx.getNodeParameter(name, itemIndex, fallback), label, rule);
}

/**
 * readNumber for an option of a collection (Options): `fallback` is used only when the option was not
 * added. An option that was added but whose expression gave nothing is an error, not the default.
 */
export function optionNumber(options: object, name: string, label: string, rule: NumberRule, fallback: number): number {
	return Object.prototype.hasOwnProperty.call(options, name) ? readNumber((options as Record<string, unknown>)[name], label, rule) : fallback;
}

/** Property names that cannot hold a value in an object (the binary data of an item is one). */
const UNUSABLE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export function readBinaryPropertyName(value: unknown, label: string): string {
	const name = typeof value === 'string' ? value.trim() : '';
	if (name === '' || UNUSABLE_KEYS.has(name)) {
		throw new KlingInputError(
			`${label} is ${shown(value)}, which cannot name a binary property`,
			`Set ${label} to a plain name such as data or video.`,
		);
	}
	return name;
}
