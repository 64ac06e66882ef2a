// verify.js: the verification page.  It finds the token in the page's URL
// (in the fragment, #ATT1:..., or the path, /v/ATT1:...), checks
// it with token.js against the keys and revocation list published beside
// this script (trust.json), and shows the verdict.  Text from the token is
// only ever set with textContent.
import { checkToken, readTrust } from './token.js';

// The site's folder is where this script is, whatever the page's URL.
const TRUST_URL = new URL('trust.json', import.meta.url);

const WORDS = {
  VALID: ['VALID', 'This document is genuine. Check that the details below match the paper.'],
  INVALID: ['INVALID', 'This code is not a genuine document code, or it has been altered. ' +
            'Do not accept the document.'],
  REVOKED: ['REVOKED', 'The issuer has withdrawn this document. Do not accept it.'],
  'UNKNOWN-KEY': ['UNKNOWN KEY', 'This code is signed with a key this site does not know, so ' +
                  'it cannot be checked here. Do not accept the document without asking the ' +
                  'issuer.'],
};

// What an INVALID verdict's reason (token.js, worded as attache verify
// words it) means for the person holding the document.
function plainReason(reason) {
  if (reason === 'bad signature')
    return 'The signature does not match: the code was changed, or not made by the issuer.';
  if (reason.startsWith('the token\'s issuer'))
    return 'The code is signed with a key of another issuer.';
  if (reason.startsWith('issued outside'))
    return 'The code is dated outside the period its key was valid for.';
  return 'The code is damaged, incomplete, or not a document code.';
}

const KINDS = { certificate: 'Certificate', letter: 'Attachment letter',
                induction: 'Induction pack' };

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August',
                'September', 'October', 'November', 'December'];

function $(id) {
  return document.getElementById(id);
}

function setText(id, text) {
  $(id).textContent = text;
}

// "2016-02-05" -> "5 February 2016", the day and month kept on one line
function longDate(day) {
  const [y, m, d] = day.split('-').map(Number);
  return MONTHS[m - 1] ? `${d}\u00a0${MONTHS[m - 1]} ${y}` : day;
}

// The text to check, or null when the page was opened without one: the
// whole address as the QR code had it (the browser's %-escapes undone), in
// which checkToken finds the token as `attache verify` does in a QR code's
// text: after the last ATT1:, in the fragment or the path.  An address with
// no ATT1: but a fragment or a last path segment of its own is checked too,
// and is not a token.
function tokenFromLocation() {
  let href = location.href;
  try {
    href = decodeURIComponent(href);
  } catch {
    // a stray % stays as it is
  }
  if (/ATT1:/i.test(href))
    return href;
  const last = location.pathname.slice(location.pathname.lastIndexOf('/') + 1);
  if (location.hash.length > 1 || (last && last !== 'index.html' && last !== '404.html'))
    return href;
  return null;
}

// What the footer says of where the document's code went: in the fragment
// the browser keeps it to itself; in the path the site's server had it.
const ABOUT = {
  fragment: 'The check runs in this browser, with the issuer\'s public keys: nothing about ' +
            'the document is sent anywhere.',
  path: 'The check runs in this browser, with the issuer\'s public keys. The document\'s ' +
        'code reached this site as part of the page\'s address, as any address does, and ' +
        'goes nowhere else.',
};

// A signed id with what the issuer calls it (trust.json's names), the id
// then shown small beside it; the id alone where the site has no name.
function showNamed(id, signed, named, describe) {
  setText(id, named ? describe(named) : signed);
  setText(id + '-id', named ? signed : '');
}

function showFields(c, names) {
  setText('officer-name', c.officerName);
  setText('officer-id', c.officerId);
  setText('kind', KINDS[c.kind] || c.kind);
  setText('document-id', c.documentId);
  showNamed('programme', c.programme, names.programmes.get(c.programme), (n) => String(n.title));
  showNamed('batch', c.batch, names.batches.get(c.batch), (n) =>
    n.start && n.end ? `${n.title}, ${longDate(String(n.start))} – ${longDate(String(n.end))}`
                     : String(n.title));
  showNamed('issuer', c.issuer, names.issuers.get(c.issuer), (n) => String(n.title));
  setText('issue-date', longDate(c.issueDate));
  $('fields').hidden = false;
}

function showList(trust) {
  setText('list', trust.published ? `Revocation list of ${longDate(trust.published)}.`
                                  : 'The issuer publishes no revocation list here.');
}

// The page's end state: `state` is 'done', 'idle' (nothing to check) or
// 'error' (the check could not run); `verdict` is set only for 'done'.
function finish(state, word, summary, detail, technical) {
  const body = document.body;
  setText('word', word);
  setText('summary', summary);
  document.title = `${word} – Document check`;
  if (detail) {
    setText('detail', detail);
    if (technical) {
      const small = document.createElement('small');
      small.textContent = technical;
      $('detail').append(small);
    }
    $('detail').hidden = false;
  }
  body.dataset.state = state;
}

function reset() {
  const body = document.body;
  delete body.dataset.verdict;
  delete body.dataset.document;
  body.dataset.state = 'checking';
  for (const id of ['fields', 'detail', 'help'])
    $(id).hidden = true;
}

async function loadTrust() {
  const response = await fetch(TRUST_URL, { cache: 'no-cache', credentials: 'same-origin',
                                            referrerPolicy: 'no-referrer' });
  if (!response.ok)
    throw new Error(`the issuer's keys cannot be loaded (HTTP ${response.status})`);
  return readTrust(await response.json());
}

// Each check has a number: a check overtaken by a newer one (the fragment
// changed meanwhile) shows nothing.
let checks = 0;

async function run() {
  const mine = ++checks;
  reset();
  const text = tokenFromLocation();
  if (text === null) {
    $('help').hidden = false;
    finish('idle', 'Scan a code', 'Open this page by scanning the QR code on a document.');
    return;
  }
  setText('about', /ATT1:|ATT1%3A/i.test(location.hash) || !/ATT1:/i.test(text) ? ABOUT.fragment
                                                                          : ABOUT.path);
  let trust, result;
  try {
    trust = await loadTrust();
    showList(trust);
    result = await checkToken(text, trust);
  } catch (e) {
    if (mine !== checks)
      return;
    const cause = globalThis.isSecureContext === false
      ? 'this page must be opened over https'
      : e && e.name === 'NotSupportedError'
        ? 'this browser cannot check Ed25519 signatures; update it, or use another browser'
        : String(e && e.message ? e.message : e);
    finish('error', 'CANNOT CHECK', 'The document could not be checked on this device.',
           `Why: ${cause}.`);
    return;
  }
  if (mine !== checks)
    return;
  const [word, summary] = WORDS[result.verdict];
  let detail = null, technical = null;
  if (result.claims)
    showFields(result.claims, trust.names);
  if (result.verdict === 'REVOKED')
    detail = `Revoked on ${longDate(result.revocation.date)}: ${result.revocation.reason}`;
  else if (result.verdict === 'INVALID') {
    detail = plainReason(result.reason);
    technical = `(${result.reason})`;
  }
  finish('done', word, summary, detail, technical);
  if (result.claims)
    document.body.dataset.document = result.claims.documentId;
  document.body.dataset.verdict = result.verdict;
}

window.addEventListener('hashchange', run);
run();
