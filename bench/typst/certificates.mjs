// The peer of make bench: N certificates with Typst through its Node
// binding, one PDF each, fonts loaded once.
//   node certificates.mjs DATA.xml OUTDIR
// Prints the seconds the documents took (compiling and writing, not
// starting up).
import { NodeCompiler } from '@myriaddreamin/typst-ts-node-compiler';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const [data, out] = process.argv.slice(2);
const here = dirname(fileURLToPath(import.meta.url));
const fonts = join(here, '..', '..', 'fonts');
const compiler = NodeCompiler.create({
  fontArgs: [{ fontBlobs: ['AttacheSerif-Regular.ttf', 'AttacheSerif-Bold.ttf']
    .map((f) => readFileSync(join(fonts, f))) }],
});
const main = readFileSync(join(here, 'certificate.typ'), 'utf8');
const xml = readFileSync(data, 'utf8');
const officers = [...xml.matchAll(/<officer id="([^"]+)"[^>]*><name>([^<]+)<\/name>/g)];
mkdirSync(out, { recursive: true });
const t0 = process.hrtime.bigint();
for (const [, id, name] of officers) {
  const inputs = {
    issuer: 'ASEAN Secretariat', name, id: `ASEC-CERT-${id}`, issued: '5 February 2016',
    programme: 'Attachment Programme for AEC and ASCC Involvement at the ASEAN Secretariat',
    start: '9 February 2015', end: '5 February 2016',
    ministry: 'the Ministry of Foreign Affairs', signer: 'Tran Dong Phuong',
    title: 'Director, Finance, Industry and Infrastructure Directorate',
  };
  const pdf = compiler.pdf({ mainFileContent: main, inputs }, { creationTimestamp: 1454630400 });
  writeFileSync(join(out, `${id}-certificate.pdf`), pdf);
  compiler.evictCache(10);
}
const secs = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`${officers.length} ${secs.toFixed(3)}`);
