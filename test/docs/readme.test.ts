import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { optionNames, options } from '../../src/config/options.js';

const readme = fs.readFileSync(path.resolve(import.meta.dirname, '../../README.md'), 'utf8');
const pkg = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { scripts: Record<string, string> };

describe('README stays true', () => {
  it('documents every setting with its environment variable and flag', () => {
    for (const name of optionNames) {
      expect(readme, options[name].env).toContain(`\`${options[name].env}\``);
      expect(readme, options[name].flag).toContain(`\`${options[name].flag.split(' ')[0]!}\``);
    }
  });

  it('shows the command npm start runs', () => {
    expect(readme).toContain(`\`${pkg.scripts.start}\``);
  });

  it('only mentions npm scripts that exist', () => {
    for (const [, script] of readme.matchAll(/npm run ([a-z:]+)/g)) expect(pkg.scripts, script).toHaveProperty(script!);
  });
});
