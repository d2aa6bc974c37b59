import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ColinkError, ErrorCode, isColinkError } from '../src/errors.js';

// A second, independent copy of the errors module — what an app gets when two versions of @colink/core are installed
// side by side (e.g. its own and a transport's).
const dir = mkdtempSync(path.join(tmpdir(), 'colink-errors-copy-'));
const copy = path.join(dir, 'errors.ts');
copyFileSync(path.join(import.meta.dirname, '../src/errors.ts'), copy);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('isColinkError recognises errors by name and code, not instanceof', () => {
  it('recognises a ColinkError thrown by another copy of the module', async () => {
    const other = (await import(/* @vite-ignore */ copy)) as typeof import('../src/errors.js');
    const foreign = new other.ColinkError(other.ErrorCode.CLOSED, 'closed elsewhere');
    expect(other.ColinkError).not.toBe(ColinkError);
    expect(foreign instanceof ColinkError).toBe(false);
    expect(isColinkError(foreign)).toBe(true);
    expect(isColinkError(foreign, ErrorCode.CLOSED)).toBe(true);
    expect(isColinkError(foreign, ErrorCode.TIMEOUT)).toBe(false);
    // and the other way round
    expect(other.isColinkError(new ColinkError(ErrorCode.TIMEOUT, 'here'), ErrorCode.TIMEOUT)).toBe(true);
  });

  it('rejects look-alikes: other names, unknown codes, non-objects', () => {
    expect(isColinkError(new Error('plain'))).toBe(false);
    expect(isColinkError({ name: 'ColinkError', code: 'ERR_MADE_UP' })).toBe(false);
    expect(isColinkError({ name: 'ColinkError', code: 7 })).toBe(false);
    expect(isColinkError({ name: 'TypeError', code: ErrorCode.CLOSED })).toBe(false);
    expect(isColinkError(null)).toBe(false);
    expect(isColinkError('ERR_CLOSED')).toBe(false);
    expect(isColinkError({ name: 'ColinkError', code: ErrorCode.CLOSED }, ErrorCode.CLOSED)).toBe(true);
  });
});
