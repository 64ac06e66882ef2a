// Unit tests of the verification page's decoder (web/token.js) in node:
// the test vectors of docs/token.md, and the CBOR rules it shares with
// `attache verify`.   Run: node --test tests/web/
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { base32Decode, base32Encode, cborLoad, checkToken, documentId, issueDate, readClaims,
         readMessage, readTrust, sigStructure, tokenText } from '../../web/token.js';

// The two vectors, read from docs/token.md so that the document and the
// test cannot drift apart.
const doc = readFileSync(new URL('../../docs/token.md', import.meta.url), 'utf8');
function vector(n) {
  const part = doc.split(`**Vector ${n}**`)[1].split('**Vector')[0].split('## ')[0];
  const field = (name) => part.match(new RegExp(`^\\s+${name}\\s+(\\S+)`, 'm'))[1];
  const claims = part.split(/^\s+claims\s+/m)[1].split(/^\s+id\s/m)[0].replace(/\s+/g, ' ');
  const quoted = (name) => claims.match(new RegExp(`${name} "([^"]+)"`))[1];
  const [, iat, day] = claims.match(/iat (\d+) \((\d{4}-\d\d-\d\d)\)/);
  return { public: field('public'), kid: field('kid'), id: field('id'), text: field('text'),
           claims: { issuer: quoted('iss'), iat, kind: claims.match(/kind (\w+)/)[1],
                     officerId: quoted('officer'), officerName: quoted('name'),
                     batch: quoted('batch'), programme: quoted('programme'),
                     documentId: field('id'), issueDate: day } };
}
const V1 = vector(1), V2 = vector(2);

function trust(keys, revoked = {}) {
  return readTrust({ 'attache-site': 1, keys,
                     revocations: { published: '2016-03-02', documents: revoked } });
}
const key1 = { kid: V1.kid, issuer: 'asec', public: V1.public, 'not-before': null,
               'not-after': null };
const key2 = { kid: V2.kid, issuer: 'asec', public: V2.public, 'not-before': null,
               'not-after': null };
const both = trust([key1, key2]);

test('vector 1: a certificate is VALID with its signed fields', async () => {
  const r = await checkToken(V1.text, both);
  assert.equal(r.verdict, 'VALID');
  assert.deepEqual({ ...r.claims, iat: String(r.claims.iat) }, V1.claims);
  assert.equal(V1.claims.officerName, 'Chhy Ratha');
  assert.equal(V1.claims.kind, 'certificate');
});

test('vector 2: a letter behind a verify-url, name in Vietnamese', async () => {
  assert.match(V2.text, /^HTTPS:\/\/VERIFY\.EXAMPLE\.ORG\/v\/ATT1:/);
  const r = await checkToken(V2.text, both);
  assert.equal(r.verdict, 'VALID');
  assert.deepEqual({ ...r.claims, iat: String(r.claims.iat) }, V2.claims);
  assert.equal(r.claims.officerName, 'Nguyễn Thị Thu Hà');
  assert.equal(r.claims.kind, 'letter');
});

test('the kid in the header is the one docs/token.md gives', () => {
  assert.equal(readMessage(V1.text).kid, V1.kid);
  assert.equal(readMessage(V2.text).kid, V2.kid);
});

test('a lower-case prefix and trailing line ends are accepted, as verify does', async () => {
  const body = V1.text.slice(5);
  assert.equal(tokenText('att1:' + body + '\r\n'), body);
  assert.equal((await checkToken('att1:' + body, both)).verdict, 'VALID');
  assert.equal((await checkToken('Att1:' + body.toLowerCase(), both)).verdict, 'VALID');
});

test('revoked, unknown key, wrong issuer, outside the validity window', async () => {
  let r = await checkToken(V1.text, trust([key1], { [V1.id]: { date: '2016-03-01',
                                                                reason: 'Issued in error' } }));
  assert.equal(r.verdict, 'REVOKED');
  assert.equal(r.revocation.reason, 'Issued in error');
  r = await checkToken(V1.text, trust([key2]));
  assert.deepEqual([r.verdict, r.claims], ['UNKNOWN-KEY', undefined]);
  r = await checkToken(V1.text, trust([{ ...key1, issuer: 'other' }]));
  assert.deepEqual([r.verdict, r.claims], ['INVALID', undefined]);
  // issued 2016-02-05: the window is inclusive at both ends
  for (const [nb, na, want] of [['2016-02-05', '2016-02-05', 'VALID'],
                                ['2016-02-06', null, 'INVALID'],
                                [null, '2016-02-04', 'INVALID'],
                                ['2016-01-01', '2030-12-31', 'VALID']]) {
    r = await checkToken(V1.text, trust([{ ...key1, 'not-before': nb, 'not-after': na }]));
    assert.equal(r.verdict, want, `window ${nb}..${na}`);
  }
});

test('every changed character, a cut, garbage and a long text are INVALID', async () => {
  const body = V1.text.slice(5);
  for (let i = 0; i < body.length; i += 7) {
    const c = body[i] === 'A' ? 'B' : 'A';
    const r = await checkToken('ATT1:' + body.slice(0, i) + c + body.slice(i + 1), both);
    assert.notEqual(r.verdict, 'VALID', `changed at ${i}`);
    assert.equal(r.claims, undefined);
  }
  for (const text of ['ATT1:' + body.slice(0, -8), 'ATT1:' + body.slice(0, 100), 'hello',
                      'ATT1:', 'ATT1:' + body + '=', 'ATT1:' + 'A'.repeat(20000), '']) {
    const r = await checkToken(text, both);
    assert.equal(r.verdict, 'INVALID', text.slice(0, 40));
  }
});

test('base32 round trip; padding bits must be zero', () => {
  const bytes = Uint8Array.from({ length: 40 }, (_, i) => i * 7);
  for (let n = 0; n <= 40; n++)
    assert.deepEqual(base32Decode(base32Encode(bytes.subarray(0, n))), bytes.subarray(0, n));
  assert.deepEqual(base32Decode('MZXW6'), new Uint8Array([0x66, 0x6f, 0x6f]));
  assert.equal(base32Decode('MZXW7'), null);      // a 1 in the padding bits
  assert.equal(base32Decode('MZXW6==='), null);   // no '=' in tokens
  assert.equal(base32Decode('M'), null);          // 5 bits: not a byte
});

test('CBOR: what libcbor 0.8 accepts and refuses', () => {
  const h = (s) => Uint8Array.from(s.match(/../g) || [], (x) => parseInt(x, 16));
  const ok = ['00', '1817', '3903e7', '40', '4401020304', '5f4100ff', '6161', '62c3a9',
              '7f6141ff', '80', '9f00ff', 'a0', 'a10000', 'bf0000ff', 'c000', 'c500', 'd500',
              'd700', 'd81200', 'db000000000000000000', 'f4', 'f7', 'f90000', 'fa00000000'];
  const bad = ['', '1c', '1f', '3f', '5f6100ff', '5f5fffff', '7f62c3ff', '61ff', '62c080',
               '63eda080', '64f4908080', '81', 'bf00ff', 'c600', 'd200', 'd400', 'dc', 'e0',
               'f3', 'f820', 'fc', 'ff', '0000', '5a00000001', '9bffffffffffffffff'];
  for (const s of ok)
    assert.notEqual(cborLoad(h(s)), null, `${s} is well-formed`);
  for (const s of bad)
    assert.equal(cborLoad(h(s)), null, `${s} is refused`);
  assert.equal(cborLoad(h('3bffffffffffffffff')).raw, (1n << 64n) - 1n);
});

test('claims of the wrong type or size are refused', () => {
  // {1:"a",6:0,-1:h'00*8',-2:1,-3:"o",-4:"n",-5:"b",-6:"p"}
  const base = 'a8016161060020480000000000000000' + '2101' + '22616f' + '23616e' + '246162' +
               '256170';
  const h = (s) => Uint8Array.from(s.match(/../g), (x) => parseInt(x, 16));
  const good = readClaims(h(base));
  assert.equal(good.claims.documentId, 'C-AAAA-AAAA-AAAA');
  assert.equal(good.claims.issueDate, '1970-01-01');
  assert.match(readClaims(h(base.replace('2101', '2104'))).reason, /claim -2/);     // kind 4
  assert.match(readClaims(h(base.replace('0600', '0620'))).reason, /claim 6/);      // iat -1
  assert.match(readClaims(h('a7' + base.slice(2, -6))).reason, /missing/);
  assert.match(readClaims(h(base.replace('22616f', '22416f'))).reason, /claim -3/);  // bytes
  // a name of 800 bytes is the most verify takes
  const name = (n) => base.replace('23616e', '2379' + n.toString(16).padStart(4, '0') +
                                             '61'.repeat(n));
  assert.equal(readClaims(h(name(800))).claims.officerName.length, 800);
  assert.match(readClaims(h(name(801))).reason, /claim -4/);
});

test('document ids and issue dates', () => {
  assert.equal(documentId('letter', new Uint8Array(8)), 'L-AAAA-AAAA-AAAA');
  assert.equal(documentId('', new Uint8Array(8)), 'X-AAAA-AAAA-AAAA');
  assert.equal(issueDate(1454630400n), '2016-02-05');
  assert.equal(issueDate(951782400n), '2000-02-29');
  assert.equal(issueDate(4107456000n), '2100-02-28');
});

test('Sig_structure is the CBOR array of RFC 9052', () => {
  const s = sigStructure(new Uint8Array([0xa0]), new Uint8Array(300));
  assert.deepEqual(Array.from(s.subarray(0, 16)),
                   [0x84, 0x6a, ...Buffer.from('Signature1'), 0x41, 0xa0, 0x40, 0x59]);
  assert.equal(s.length, 1 + 11 + 2 + 1 + 3 + 300);
});
