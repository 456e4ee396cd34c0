// A real OpenID provider for the tests of signing in through a partner's own provider:
// panva's certified oidc-provider, with a login form that takes an account's `sub` (no
// password), consent granted at once, and test-only controls to make its next answer wrong.
// Loopback only; never for production.
// Usage: node provider.mjs PORT CONFIG.json      (the tests start it: server/tests/http/sso.rs)
// Test control (JSON in, JSON out):
//   POST /__test/mode   {"mode":"wrong_aud"}  -> tampers with the NEXT successful token response only
//   GET  /__test/mode   -> current pending mode      POST /__test/reset -> clear pending mode
//   POST /__test/rotate {"keep_old":false}    -> new signing key (new kid); JWKS changes, same port
import http from 'node:http';
import fs from 'node:fs';
import { Provider } from 'oidc-provider';
// internal module (package has no "exports" map); one store shared by every Provider instance we create,
// so sessions/grants/codes survive /__test/rotate. Pin oidc-provider exactly because of this import.
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';
import * as jose from 'jose';

const PORT = Number(process.argv[2] ?? process.env.OIDC_PORT ?? 4010);
const ISSUER = `http://127.0.0.1:${PORT}`;
const CONFIG = process.argv[3] ?? process.env.OIDC_CONFIG;
const cfg = CONFIG ? JSON.parse(fs.readFileSync(CONFIG, 'utf8')) : {
  clients: [{ client_id: 'rust-app', client_secret: 'rust-app-secret',
    redirect_uris: ['http://127.0.0.1:8080/auth/callback'],
    post_logout_redirect_uris: ['http://127.0.0.1:8080/'] }],
  accounts: [
    { sub: 'alice', email: 'alice@example.com', email_verified: true, name: 'Alice', groups: ['admins', 'devs'] },
    { sub: 'bob', email: 'bob@example.com', email_verified: false, name: 'Bob', groups: [] },
  ],
};
const accounts = new Map(cfg.accounts.map((a) => [a.sub, a]));

const MODES = new Set(['wrong_aud', 'wrong_iss', 'expired', 'not_yet_valid', 'bad_signature', 'no_nonce',
  'wrong_nonce', 'email_unverified', 'other_email', 'alg_none', 'claims', 'token_error']);
let pending = null; // one-shot tamper mode
let keys = [];      // private JWKs; keys[0] signs
let handler;        // current provider's node request handler (swapped on rotation)
const adapter = createMemoryAdapter(15);

async function newKey() {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true });
  const jwk = await jose.exportJWK(privateKey);
  return { ...jwk, kid: `k-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`, alg: 'RS256', use: 'sig' };
}

const esc = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const readBody = async (req) => { let b = ''; for await (const c of req) b += c; return b; };

function loginPage(uid, error) {
  return `<!DOCTYPE html><html><head><meta charset="utf-8"><title>Test IdP login</title></head><body>
<h1>Test IdP</h1>${error ? `<p id="error">${esc(error)}</p>` : ''}
<form id="login-form" method="post" action="/interaction/${esc(uid)}">
  <label>Login <input id="login" name="login" autofocus autocomplete="off"></label>
  <button id="submit" type="submit">Sign in</button>
</form><a id="cancel" href="/interaction/${esc(uid)}/abort">Cancel</a></body></html>`;
}

// Custom interaction: login by account "sub"; consent is granted automatically (loadExistingGrant below).
async function interactions(ctx, next) {
  const m = ctx.path.match(/^\/interaction\/([^/]+)(\/abort)?$/);
  if (!m) return next();
  const p = ctx.app; // the Provider (it is the Koa app)
  const details = await p.interactionDetails(ctx.req, ctx.res);
  if (m[2]) { // Cancel link -> error=access_denied back to the RP
    ctx.redirect(await p.interactionResult(ctx.req, ctx.res, { error: 'access_denied', error_description: 'user cancelled' }));
    return;
  }
  if (details.prompt.name !== 'login') { // consent should never be needed; finish it anyway
    ctx.redirect(await p.interactionResult(ctx.req, ctx.res, {}, { mergeWithLastSubmission: true }));
    return;
  }
  if (ctx.method === 'GET') { ctx.type = 'html'; ctx.body = loginPage(details.uid); return; }
  const login = new URLSearchParams(await readBody(ctx.req)).get('login')?.trim();
  if (!accounts.has(login)) { ctx.status = 200; ctx.type = 'html'; ctx.body = loginPage(details.uid, `unknown user "${login}"`); return; }
  ctx.redirect(await p.interactionResult(ctx.req, ctx.res, { login: { accountId: login } }));
  ctx.status = 303;
}

async function tamper(idToken, m) {
  const header = jose.decodeProtectedHeader(idToken);
  const claims = jose.decodeJwt(idToken);
  const now = Math.floor(Date.now() / 1000);
  let key = await jose.importJWK(keys[0], header.alg);
  switch (m.mode) {
    case 'wrong_aud': claims.aud = m.aud ?? 'some-other-client'; break;
    case 'wrong_iss': claims.iss = m.iss ?? 'http://evil.invalid'; break;
    case 'expired': claims.iat = now - 7200; claims.exp = now - 3600; break;
    case 'not_yet_valid': claims.iat = now + 3600; claims.nbf = now + 3600; claims.exp = now + 7200; break;
    case 'bad_signature': key = (await jose.generateKeyPair(header.alg)).privateKey; break; // same kid, other key
    case 'no_nonce': delete claims.nonce; break;
    case 'wrong_nonce': claims.nonce = m.nonce ?? 'not-the-nonce-you-sent'; break;
    case 'email_unverified': claims.email_verified = false; break;
    case 'other_email': claims.email = m.email ?? 'mallory@evil.example'; break;
    case 'alg_none': return new jose.UnsecuredJWT(claims).encode();
    case 'claims': Object.assign(claims, m.set ?? {}); for (const k of m.unset ?? []) delete claims[k]; break;
    default: throw new Error(`unknown mode ${m.mode}`);
  }
  return new jose.SignJWT(claims).setProtectedHeader(header).sign(key);
}

// Runs around the token endpoint: let the provider build a valid response, then break it on demand.
async function tokenTamper(ctx, next) {
  await next();
  if (ctx.method !== 'POST' || ctx.path !== '/token') return;
  // oidc-provider accepts basic AND post for either registered method; be strict so RP misconfig shows up
  const method = ctx.oidc?.client?.clientAuthMethod;
  if ((method === 'client_secret_basic') !== Boolean(ctx.get('authorization')) && method?.startsWith('client_secret_')) {
    ctx.status = 401; ctx.body = { error: 'invalid_client', error_description: `client must use ${method}` }; return;
  }
  if (!pending) return;
  if (pending.mode === 'token_error') {
    pending = null; ctx.status = 400; ctx.body = { error: 'invalid_grant', error_description: 'forced by test mode' }; return;
  }
  if (ctx.status !== 200 || !ctx.body?.id_token) return;
  const m = pending; pending = null;
  ctx.body = { ...ctx.body, id_token: await tamper(ctx.body.id_token, m) };
  console.log(`[test] token response tampered: ${m.mode}`);
}

function makeProvider() {
  const provider = new Provider(ISSUER, {
    clients: cfg.clients.map((c) => ({
      grant_types: ['authorization_code'], response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic', ...c,
    })),
    jwks: { keys },
    adapter,
    async findAccount(ctx, sub) {
      const a = accounts.get(sub);
      if (!a) return undefined;
      return { accountId: a.sub, async claims() { return { preferred_username: a.sub, ...a }; } };
    },
    claims: { // scope -> claims released for it
      openid: ['sub'], email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username', 'groups'], groups: ['groups'],
    },
    conformIdTokenClaims: false, // put scope-requested claims into the ID token too, not only /me
    pkce: { required: () => true }, // S256 is the only supported method in v9
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) { // skip the "Do you want to sign-out?" confirmation
          ctx.type = 'html';
          ctx.body = `<!DOCTYPE html><html><body>${form.replace('</form>',
            '<input type="hidden" name="logout" value="yes"/><button id="logout-yes" type="submit">Sign out</button></form>')}
<script>document.getElementById('op.logoutForm').submit()</script></body></html>`;
        },
        async postLogoutSuccessSource(ctx) { ctx.type = 'html'; ctx.body = '<h1 id="logged-out">Signed out</h1>'; },
      },
    },
    async loadExistingGrant(ctx) { // auto-consent: grant every requested scope/claim
      const { client, session, provider: p } = ctx.oidc;
      const grantId = ctx.oidc.result?.consent?.grantId || session.grantIdFor(client.clientId);
      const grant = (grantId && await p.Grant.find(grantId))
        || new p.Grant({ accountId: session.accountId, clientId: client.clientId });
      grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(' '));
      grant.addOIDCClaims([...ctx.oidc.requestParamClaims]);
      await grant.save();
      return grant;
    },
    async renderError(ctx, out) { // hermetic error page (the default one pulls Google Fonts)
      ctx.type = 'html'; ctx.body = `<h1>OP error</h1><pre id="op-error">${esc(JSON.stringify(out, null, 2))}</pre>`;
    },
    ttl: { IdToken: 3600, AccessToken: 3600, Interaction: 3600, Session: 86400, Grant: 86400 },
    cookies: { keys: ['test-only-cookie-signing-key'] },
  });
  provider.use(interactions);
  provider.use(tokenTamper);
  provider.on('server_error', (ctx, err) => console.error('[oidc] server_error', err));
  return provider;
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function testControl(req, res) {
  const url = new URL(req.url, ISSUER);
  const body = req.method === 'POST' ? JSON.parse((await readBody(req)) || '{}') : {};
  if (url.pathname === '/__test/mode' && req.method === 'GET') return json(res, 200, { pending });
  if (url.pathname === '/__test/reset') { pending = null; return json(res, 200, { pending }); }
  if (url.pathname === '/__test/mode' && req.method === 'POST') {
    if (body.mode === 'none' || body.mode == null) { pending = null; return json(res, 200, { pending }); }
    if (!MODES.has(body.mode)) return json(res, 400, { error: `unknown mode`, modes: [...MODES] });
    pending = body; return json(res, 200, { pending });
  }
  if (url.pathname === '/__test/rotate' && req.method === 'POST') {
    keys = body.keep_old ? [await newKey(), ...keys] : [await newKey()];
    handler = makeProvider().callback(); // same adapter => OP sessions survive
    return json(res, 200, { kid: keys[0].kid, kids: keys.map((k) => k.kid) });
  }
  return json(res, 404, { error: 'not found' });
}

keys = [process.env.OIDC_JWK ? JSON.parse(process.env.OIDC_JWK) : await newKey()];
handler = makeProvider().callback();
http.createServer((req, res) => {
  if (req.url.startsWith('/__test/')) {
    testControl(req, res).catch((e) => json(res, 500, { error: String(e) }));
  } else handler(req, res);
}).listen(PORT, '127.0.0.1', () => console.log(`oidc test provider ${ISSUER} kid=${keys[0].kid}`));
