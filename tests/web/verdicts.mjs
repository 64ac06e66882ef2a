// The page's verdicts for many texts at once, for comparing with
// `attache verify -`: node tests/web/verdicts.mjs TRUST.json < texts
// prints one verdict per line of standard input.
import { readFileSync } from 'node:fs';

import { checkToken, readTrust } from '../../web/token.js';

const trust = readTrust(JSON.parse(readFileSync(process.argv[2], 'utf8')));
const lines = readFileSync(0, 'utf8').split('\n');
if (lines[lines.length - 1] === '')
  lines.pop();
const out = [];
for (const line of lines)
  if (line.length)
    out.push((await checkToken(line, trust)).verdict);
process.stdout.write(out.map((v) => v + '\n').join(''));
