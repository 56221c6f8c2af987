// An independent verifier for the app's credentials: Digital Bazaar's VC stack, offline but for the app.
//
// Reads a job from stdin, {"origin": "http://127.0.0.1:PORT", "issuer": URL, "credentials": {label: credential}},
// and prints {"issuer": {...}, "credentials": {label: {...}}} as JSON. The document loader serves JSON-LD
// contexts from files only (the app's bundled contexts, and the npm context packages for the DID, Multikey,
// Data Integrity and security vocabularies) and fetches nothing but the app's own documents from `origin`
// (the issuer profile, which is the keys' controller document, and the status list). A verification
// method `<issuer>#<kid>` is looked up in the issuer profile's `verificationMethod`.
import {readFileSync} from 'node:fs';
import {createRequire} from 'node:module';
import {fileURLToPath} from 'node:url';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import jsonld from 'jsonld';

const require = createRequire(import.meta.url);
const BUNDLED = fileURLToPath(new URL('../../course/core/certificates/contexts/', import.meta.url));
const MULTIKEY_V1 = 'https://w3id.org/security/multikey/v1';

const contexts = new Map([
  ['https://www.w3.org/ns/credentials/v2', readJson(BUNDLED + 'credentials-v2.jsonld')],
  ['https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json', readJson(BUNDLED + 'ob-context-3.0.3.json')],
]);
for(const name of [
  'did-context', '@digitalbazaar/multikey-context', '@digitalbazaar/data-integrity-context',
  '@digitalbazaar/security-context'
]) {
  for(const [url, document] of require(name).contexts) {
    if(!contexts.has(url)) {
      contexts.set(url, document);
    }
  }
}

function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}

function makeLoader(origin) {
  return async function documentLoader(url) {
    if(contexts.has(url)) {
      return {contextUrl: null, documentUrl: url, document: contexts.get(url)};
    }
    if(new URL(url).origin !== origin) {
      throw new Error(`the offline loader refuses ${url}`);
    }
    const [address, fragment] = url.split('#');
    const response = await fetch(address, {headers: {accept: 'application/json'}});
    if(!response.ok) {
      throw new Error(`${address}: HTTP ${response.status}`);
    }
    const document = await response.json();
    if(fragment === undefined) {
      return {contextUrl: null, documentUrl: url, document};
    }
    const methods = [].concat(document.verificationMethod ?? []);
    const method = methods.find(entry => entry && entry.id === url);
    if(!method) {
      throw new Error(`${url}: no such verification method in ${address}`);
    }
    return {contextUrl: null, documentUrl: url, document: {'@context': MULTIKEY_V1, ...method}};
  };
}

// The controller document must be proper JSON-LD: every term defined, no relative IRIs (safe mode), and
// each key it lists must be authorised for assertions.
async function checkIssuer(url, documentLoader) {
  try {
    const {document} = await documentLoader(url);
    await jsonld.expand(document, {documentLoader, safe: true});
    const methods = [].concat(document.verificationMethod ?? []).map(method => method.id);
    const assertion = new Set([].concat(document.assertionMethod ?? []));
    const unauthorised = methods.filter(id => !assertion.has(id));
    if(methods.length === 0 || unauthorised.length > 0) {
      return {ok: false, error: `keys not in assertionMethod: ${unauthorised.join(', ') || '(no keys)'}`};
    }
    return {ok: true, keys: methods};
  } catch(error) {
    return {ok: false, error: String(error.message ?? error)};
  }
}

function describe(error) {
  if(!error) {
    return null;
  }
  const errors = error.errors ?? [error];
  return errors.map(item => String(item?.message ?? item)).join('; ');
}

async function verify(credential, documentLoader) {
  const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
  try {
    const result = await vc.verifyCredential({credential, suite, documentLoader, checkStatus});
    const proofErrors = (result.results ?? []).filter(item => !item.verified).map(item => describe(item.error));
    const signature = (result.results ?? []).length > 0 && proofErrors.length === 0;
    const statuses = result.statusResult?.results ?? [];
    const revoked = statuses.length > 0 ? statuses.some(item => item.status === true) : null;
    const error = describe(result.error) ?? describe(result.statusResult?.error) ??
      (proofErrors.length ? proofErrors.join('; ') : null);
    return {verified: result.verified, signature, revoked, error};
  } catch(error) {
    return {verified: false, signature: false, revoked: null, error: describe(error)};
  }
}

const job = JSON.parse(readFileSync(0, 'utf8'));
const documentLoader = makeLoader(job.origin);
const report = {issuer: await checkIssuer(job.issuer, documentLoader), credentials: {}};
for(const [label, credential] of Object.entries(job.credentials)) {
  report.credentials[label] = await verify(credential, documentLoader);
}
process.stdout.write(JSON.stringify(report, null, 2) + '\n');
