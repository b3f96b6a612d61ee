/** Paths tests share. ../shared sits beside the checkout (locally and in CI); never copy its files in. */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = resolve(REPO_ROOT, '..', 'shared');
export const DATA_DIR = process.env.MOHAWK_DATA ?? resolve(SHARED, 'data');
export const GOLDEN_DIR = resolve(SHARED, 'golden');
export const TEACHER_BIN = resolve(DATA_DIR, 'stories260K', 'stories260K.bin');
export const TOKENIZER_BIN = resolve(DATA_DIR, 'stories260K', 'tok512.bin');
export const VALID_TXT = resolve(DATA_DIR, 'tinystories', 'valid.txt');
export const TRAIN_TXT = resolve(DATA_DIR, 'tinystories', 'train.txt');
