// `node --import ./test/integration/_ts-register.mjs file.ts` runs a TypeScript entry file (see _ts-hooks.mjs).
import { register } from 'node:module';

register('./_ts-hooks.mjs', import.meta.url);
