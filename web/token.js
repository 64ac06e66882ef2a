// token.js: reading and checking an attache token (docs/token.md) in the
// browser, with the browser's own Ed25519 (WebCrypto).  No DOM here: the
// page (verify.js) shows what checkToken() says, and node runs the same code
// in the tests.
//
// The verdict must be the one `attache verify` gives for the same text, keys
// and revocation list, so each step follows src/token.c and src/verify.c:
// where the prefix is found, how base32 is decoded, which CBOR the decoder
// accepts (the library underneath, libcbor 0.8, sets the rules), the order
// of the checks, and the size of each claim.

export const TOKEN_MAX_BYTES = 1024;
const PREFIX = 'ATT1:';
const KIND_NAMES = [null, 'certificate', 'letter', 'induction'];
const INT64_MAX = (1n << 63n) - 1n;

// Claims (RFC 8392 and docs/token.md), with the largest size in bytes
// `attache verify` accepts for each text claim.
const CLAIM = { iss: 1, iat: 6, document: -1, kind: -2, officer: -3, name: -4, batch: -5,
                programme: -6 };
const TEXT_LIMIT = { 1: 64, [-3]: 64, [-4]: 800, [-5]: 64, [-6]: 64 };
const TEXT_FIELD = { 1: 'issuer', [-3]: 'officerId', [-4]: 'officerName', [-5]: 'batch',
                     [-6]: 'programme' };

// ---- finding the token ----------------------------------------------------

// The base32 text after the last "ATT1:" (in any case), up to the end of
// its part of a URL (a '/', '?' or '#') and without trailing spaces and line
// ends, as `attache verify` takes it; null when there is none.
export function tokenText(text) {
  const s = text.split('\0')[0];          // as a C string ends
  let at = -1;
  for (const m of s.matchAll(/ATT1:/gi))
    at = m.index;
  if (at < 0)
    return null;
  return s.slice(at + PREFIX.length).split(/[/?#]/)[0].replace(/[\n\r ]+$/, '');
}

// ---- base32 (RFC 4648, section 6) -----------------------------------------

// Decode base32 in either case, without padding; null when a character is
// not base32 or the bits left over are not a zero padding.
export function base32Decode(s) {
  const out = new Uint8Array(Math.floor(s.length * 5 / 8));
  let buffer = 0, bits = 0, o = 0;

  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let v;
    if (c >= 65 && c <= 90) v = c - 65;
    else if (c >= 97 && c <= 122) v = c - 97;
    else if (c >= 50 && c <= 55) v = c - 50 + 26;
    else return null;
    buffer = ((buffer << 5) | v) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      out[o++] = (buffer >> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  if (bits >= 5 || (buffer & ((1 << bits) - 1)))
    return null;
  return out;
}

export function base32Encode(bytes) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let out = '', buffer = 0, bits = 0;

  for (const b of bytes) {
    buffer = ((buffer << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += abc[(buffer >> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0)
    out += abc[(buffer << (5 - bits)) & 31];
  return out;
}

// ---- CBOR (RFC 8949) --------------------------------------------------------
//
// Items decode to {type, ...}: 'uint' and 'negint' carry `raw`, the BigInt
// in the head (a negint's value is -1 - raw); 'bytes' and 'text' carry
// `bytes` and `definite`; 'array' `items`; 'map' `pairs` ([key, value]) and
// `definite`; 'tag' `tag` and `item`; 'simple' and 'float' nothing more.
//
// What is refused is what libcbor 0.8 refuses: malformed items, the reserved
// additional information 28 to 30, text that is not UTF-8 (chunk by chunk),
// the one-byte tags 6 to 20, simple values other than false, true, null and
// undefined, and data left over after the item.

class Malformed extends Error {}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Reader {
  constructor(bytes) {
    this.b = bytes;
    this.at = 0;
  }

  byte() {
    if (this.at >= this.b.length)
      throw new Malformed('the data ends too soon');
    return this.b[this.at++];
  }

  // The argument of a head whose additional information is `ai` (0 to 27).
  argument(ai) {
    if (ai < 24)
      return BigInt(ai);
    if (ai > 27)
      throw new Malformed('reserved additional information');
    let v = 0n;
    for (let n = 1 << (ai - 24); n > 0; n--)
      v = (v << 8n) | BigInt(this.byte());
    return v;
  }

  take(length) {
    if (length > BigInt(this.b.length - this.at))
      throw new Malformed('a string runs past the end');
    const n = Number(length);
    const s = this.b.subarray(this.at, this.at + n);
    this.at += n;
    return s;
  }

  string(major, ai) {
    const type = major === 2 ? 'bytes' : 'text';
    const check = (s) => {
      if (major === 3)
        utf8.decode(s);      // throws when it is not UTF-8
      return s;
    };
    if (ai !== 31)
      return { type, definite: true, bytes: check(this.take(this.argument(ai))) };
    const chunks = [];
    for (;;) {
      const head = this.byte();
      if (head === 0xff)
        break;
      if (head >> 5 !== major || (head & 31) === 31)
        throw new Malformed('a bad chunk in an indefinite-length string');
      chunks.push(check(this.take(this.argument(head & 31))));
    }
    const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let o = 0;
    for (const c of chunks) {
      bytes.set(c, o);
      o += c.length;
    }
    return { type, definite: false, bytes };
  }

  // One item, or null for a break (0xFF) where `breakAllowed`.
  item(breakAllowed = false) {
    const head = this.byte();
    const major = head >> 5, ai = head & 31;

    switch (major) {
    case 0:
    case 1:
      if (ai === 31)
        throw new Malformed('an integer with indefinite length');
      return { type: major === 0 ? 'uint' : 'negint', raw: this.argument(ai) };
    case 2:
    case 3:
      return this.string(major, ai);
    case 4:
    case 5: {
      const isMap = major === 5;
      const list = [];
      const definite = ai !== 31;
      const count = definite ? this.argument(ai) : -1n;
      if (definite && count > BigInt(this.b.length - this.at))
        throw new Malformed('more items than bytes');
      for (let i = 0n; !definite || i < count; i++) {
        const key = this.item(!definite);
        if (key === null)
          break;
        list.push(isMap ? [key, this.item()] : key);
      }
      return isMap ? { type: 'map', definite, pairs: list }
                   : { type: 'array', definite, items: list };
    }
    case 6:
      if (ai === 31 || (ai >= 6 && ai <= 20))
        throw new Malformed('a tag libcbor refuses');
      return { type: 'tag', tag: this.argument(ai), item: this.item() };
    default:
      if (ai >= 20 && ai <= 23)
        return { type: 'simple', value: ai };
      if (ai >= 25 && ai <= 27) {
        this.take(BigInt(1 << (ai - 24)));
        return { type: 'float' };
      }
      if (ai === 31 && breakAllowed)
        return null;
      throw new Malformed('a simple value libcbor refuses');
    }
  }
}

// The one item that `bytes` holds, or null when they are not exactly one
// well-formed item (as cbor_load() with every byte read).
export function cborLoad(bytes) {
  const r = new Reader(bytes);
  try {
    const item = r.item();
    return r.at === bytes.length ? item : null;
  } catch (e) {
    if (e instanceof Malformed || e instanceof TypeError)
      return null;
    throw e;
  }
}

// An integer item's value as a BigInt, or null (not an integer, or beyond
// 64-bit signed, as get_int() in token.c).
function intValue(item) {
  if (!item || (item.type !== 'uint' && item.type !== 'negint') || item.raw > INT64_MAX)
    return null;
  return item.type === 'uint' ? item.raw : -1n - item.raw;
}

function definiteBytes(item, length) {
  return !!item && item.type === 'bytes' && item.definite &&
         (length === undefined || item.bytes.length === length);
}

// A definite text string of at most `limit` bytes without NUL, or null.
function textValue(item, limit) {
  if (!item || item.type !== 'text' || !item.definite || item.bytes.length > limit ||
      item.bytes.includes(0))
    return null;
  return utf8.decode(item.bytes);
}

// Write a CBOR head (major type, argument) into `out` (an array of bytes).
function head(out, major, n) {
  if (n < 24) out.push((major << 5) | n);
  else if (n < 0x100) out.push((major << 5) | 24, n);
  else out.push((major << 5) | 25, n >> 8, n & 0xff);
}

// ---- COSE_Sign1 ---------------------------------------------------------------

// Sig_structure = ["Signature1", protected, h'', payload] (RFC 9052, 4.4).
export function sigStructure(prot, payload) {
  const out = [];
  head(out, 4, 4);
  head(out, 3, 10);
  for (const c of 'Signature1')
    out.push(c.charCodeAt(0));
  head(out, 2, prot.length);
  out.push(...prot);
  head(out, 2, 0);
  head(out, 2, payload.length);
  out.push(...payload);
  return new Uint8Array(out);
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// The parts of a COSE_Sign1 message in `text`, as token_verify() reads them:
// {prot, payload, signature, kid} or {reason} when it is not one of ours.
export function readMessage(text) {
  const t = tokenText(text);
  if (t === null)
    return { reason: 'not a token' };
  const raw = t.length > Math.floor((TOKEN_MAX_BYTES * 8 + 4) / 5) ? null : base32Decode(t);
  if (raw === null)
    return { reason: 'malformed: not base32, or too long' };
  // tag 18, in its one-byte form or as D8 12
  const skip = raw[0] === 0xd2 ? 1 : raw[0] === 0xd8 && raw[1] === 18 ? 2 : 0;
  if (!skip)
    return { reason: 'malformed: not a COSE_Sign1 structure (tag 18)' };
  const root = cborLoad(raw.subarray(skip));
  const notSign1 = { reason: 'malformed: not a COSE_Sign1 structure' };
  if (!root || root.type !== 'array' || root.items.length !== 4)
    return notSign1;
  const [prot, unprot, payload, signature] = root.items;
  if (!definiteBytes(prot) || unprot.type !== 'map' || !definiteBytes(payload) ||
      !definiteBytes(signature, 64))
    return notSign1;

  const header = cborLoad(prot.bytes);
  if (!header || header.type !== 'map')
    return { reason: 'malformed: the protected header is not a CBOR map' };
  let alg = false, kid = null;
  for (const [k, v] of header.pairs) {
    const key = intValue(k);
    if (key === 1n)
      alg = intValue(v) === -8n;
    else if (key === 4n && definiteBytes(v, 8))
      kid = hex(v.bytes);
  }
  if (!alg)
    return { reason: 'not signed with EdDSA (COSE alg -8)' };
  if (kid === null)
    return { reason: 'malformed: no 8-byte kid in the protected header' };
  return { prot: prot.bytes, payload: payload.bytes, signature: signature.bytes, kid };
}

// ---- claims ---------------------------------------------------------------------

// "C-7K3M-Q2XA-PL4D": the kind's initial and the first 12 base32 characters
// of the document claim.
export function documentId(kind, hash) {
  const initial = kind.length ? kind[0] : 'X';
  const enc = base32Encode(hash);
  return `${/[a-z]/.test(initial) ? initial.toUpperCase() : initial}-${enc.slice(0, 4)}-` +
         `${enc.slice(4, 8)}-${enc.slice(8, 12)}`;
}

// The UTC day of `iat` (seconds since 1970), YYYY-MM-DD.
export function issueDate(iat) {
  const days = Number(iat / 86400n);
  // civil_from_days (H. Hinnant's algorithm for the proleptic Gregorian calendar)
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) -
                          Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const pad = (n, w) => String(n).padStart(w, '0');
  return `${pad(year % 10000, 4)}-${pad(month, 2)}-${pad(day, 2)}`;
}

// The claims of a payload: {claims} or {reason} when one is missing or of
// the wrong type or size (read_claims() in token.c).
export function readClaims(payload) {
  const map = cborLoad(payload);
  if (!map || map.type !== 'map' || !map.definite)
    return { reason: 'malformed: the claims are not a CBOR map' };
  const c = {};
  const seen = new Set();
  for (const [k, v] of map.pairs) {
    const key = intValue(k);
    if (key === null || key < -6n || key > 6n)
      continue;
    const n = Number(key);
    let good;
    if (n in TEXT_FIELD) {
      const s = textValue(v, TEXT_LIMIT[n]);
      good = s !== null;
      c[TEXT_FIELD[n]] = s;
    } else if (n === CLAIM.iat) {
      c.iat = intValue(v);
      good = c.iat !== null && c.iat >= 0n;
    } else if (n === CLAIM.document) {
      good = definiteBytes(v, 8);
      if (good)
        c.document = v.bytes;
    } else if (n === CLAIM.kind) {
      const code = intValue(v);
      if (code !== null) {
        good = code >= 1n && code <= 3n;
        c.kind = good ? KIND_NAMES[Number(code)] : null;
      } else {
        c.kind = textValue(v, 32);
        good = c.kind !== null;
      }
    } else {
      continue;
    }
    if (!good)
      return { reason: `malformed: claim ${n} has the wrong type or size` };
    seen.add(n);
  }
  if (seen.size !== Object.keys(CLAIM).length)
    return { reason: 'malformed: a required claim is missing' };
  c.documentId = documentId(c.kind, c.document);
  c.issueDate = issueDate(c.iat);
  delete c.document;
  return { claims: c };
}

// ---- what the site publishes ---------------------------------------------------

function base64Decode(s) {
  const bin = atob(s);
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

// Days since 1970-01-01 of a day in the proleptic Gregorian calendar
// (H. Hinnant's days_from_civil).
function daysFromCivil(y, m, d) {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

// Seconds since 1970 of a day YYYY-MM-DD at its start, or at its last
// second (a key's validity window is inclusive); null for no limit.
function daySeconds(day, endOfDay) {
  if (day === null || day === undefined)
    return null;
  const [y, m, d] = day.split('-').map(Number);
  return BigInt(daysFromCivil(y, m, d)) * 86400n + (endOfDay ? 86399n : 0n);
}

// The keys and revocation list of trust.json (written by `attache site`), in
// the form checkToken() uses.
export function readTrust(json) {
  if (!json || json['attache-site'] !== 1 || !Array.isArray(json.keys))
    throw new Error('trust.json is not an attache site file (version 1)');
  const keys = new Map();
  for (const k of json.keys)
    keys.set(k.kid, { issuer: k.issuer, publicKey: base64Decode(k.public),
                      notBefore: daySeconds(k['not-before'], false),
                      notAfter: daySeconds(k['not-after'], true) });
  const list = json.revocations;
  const revoked = new Map(list ? Object.entries(list.documents) : []);
  // what the issuer calls the signed ids (attache site --data), or nothing
  const names = {};
  for (const kind of ['issuers', 'programmes', 'batches']) {
    const given = json.names && typeof json.names[kind] === 'object' ? json.names[kind] : null;
    names[kind] = new Map(given ? Object.entries(given) : []);
  }
  return { keys, revoked, published: list ? list.published : null, names };
}

// ---- the verdict -------------------------------------------------------------------

// Ed25519 with the platform's WebCrypto (browsers, and node for the tests).
// A public key that is not a curve point verifies nothing; a browser without
// Ed25519 throws NotSupportedError, which is not a verdict.
export async function ed25519Verify(publicKey, signature, message) {
  let key;
  try {
    key = await crypto.subtle.importKey('raw', publicKey, { name: 'Ed25519' }, false,
                                        ['verify']);
  } catch (e) {
    if (e && e.name === 'DataError')
      return false;
    throw e;
  }
  return crypto.subtle.verify({ name: 'Ed25519' }, key, signature, message);
}

// Check `text` (a token, or a URL or text ending in one) against `trust`
// (readTrust()).  Resolves to {verdict, reason} and, for a token whose
// signature holds (VALID or REVOKED), `claims`; for REVOKED, `revocation`
// ({date, reason}).  No field of an unverified token is returned.
export async function checkToken(text, trust, verify = ed25519Verify) {
  const m = readMessage(text);
  if (m.reason)
    return { verdict: 'INVALID', reason: m.reason };
  const key = trust.keys.get(m.kid);
  if (!key)
    return { verdict: 'UNKNOWN-KEY', reason: 'no public key with this kid', kid: m.kid };
  if (!await verify(key.publicKey, m.signature, sigStructure(m.prot, m.payload)))
    return { verdict: 'INVALID', reason: 'bad signature' };
  const { claims, reason } = readClaims(m.payload);
  if (!claims)
    return { verdict: 'INVALID', reason };
  if (claims.issuer !== key.issuer)
    return { verdict: 'INVALID', reason: "the token's issuer is not the key's issuer" };
  if ((key.notBefore !== null && claims.iat < key.notBefore) ||
      (key.notAfter !== null && claims.iat > key.notAfter))
    return { verdict: 'INVALID', reason: "issued outside the key's validity window" };
  const revocation = trust.revoked.get(claims.documentId);
  if (revocation)
    return { verdict: 'REVOKED', reason: 'revoked', claims, revocation };
  return { verdict: 'VALID', reason: 'valid', claims };
}
