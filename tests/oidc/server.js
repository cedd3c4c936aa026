// A real OpenID Connect provider for the single sign-on tests (tests/oidc/conftest.py starts it).
//
// oidc-provider (the certified Node.js implementation) with one confidential client, PKCE
// required, discovery, and a `groups` claim in the ID token and the userinfo. The users come
// from USERS_FILE (JSON, read at each sign-in, so a test can change someone's groups between two
// logins): { "<username>": { "sub", "password", "email", "name", "groups", "preferred_username"?,
// "overage"?, "hasgroups"? } }; "overage": true sends Entra ID's groups overage (_claim_names and
// _claim_sources pointing at Microsoft Graph) instead of "groups", "hasgroups": true its other form.
// A user without "preferred_username" in the file gets none in its claims (the e-mail fallback).
//
// The sign-in form is our own (plain HTML, no script): username + password, checked against the
// file. Consent is granted for the one first-party client (loadExistingGrant), as an
// organisation's provider does for its own applications.
//
// Sign-out (RP-initiated logout): the discovery document advertises end_session_endpoint; the
// provider asks "Sign out of the test identity provider?" (our page, like the sign-in form), ends
// its session on "Yes, sign me out" and sends the browser to the client's registered
// post_logout_redirect_uri. END_SESSION=off: no end_session_endpoint (a provider without it).
//
// Environment: PORT; ISSUER (default http://127.0.0.1:PORT: another value makes a provider
// whose tokens name a foreign issuer); CLIENT_ID, CLIENT_SECRET, REDIRECT_URIS and
// POST_LOGOUT_REDIRECT_URIS (comma-separated); END_SESSION.
import { readFileSync } from 'node:fs';

import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = process.env.ISSUER || `http://127.0.0.1:${port}`;
const clientId = process.env.CLIENT_ID || 'valuegate';
const scopes = ['openid', 'profile', 'email', 'groups'];

function users() {
  return JSON.parse(readFileSync(process.env.USERS_FILE, 'utf8'));
}

function userBySub(sub) {
  return Object.entries(users()).find(([, user]) => user.sub === sub);
}

const configuration = {
  clients: [{
    client_id: clientId,
    client_secret: process.env.CLIENT_SECRET || 'valuegate-test-secret',
    redirect_uris: (process.env.REDIRECT_URIS || '').split(',').filter(Boolean),
    post_logout_redirect_uris: (process.env.POST_LOGOUT_REDIRECT_URIS || '').split(',').filter(Boolean),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_post',
  }],
  pkce: { required: () => true },
  scopes,
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
    groups: ['groups', 'hasgroups'],
  },
  // Scope claims in the ID token too (not only from userinfo), as Entra ID sends groups.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: {
      enabled: process.env.END_SESSION !== 'off',
      async logoutSource(ctx, form) {
        ctx.type = 'html';
        ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test IdP sign-out</title></head>
<body><main><h1>Sign out of the test identity provider?</h1>${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes">Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button></main></body></html>`;
      },
      async postLogoutSuccessSource(ctx) {
        ctx.type = 'html';
        ctx.body = '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out</title></head><body><main><h1>Signed out of the test identity provider</h1></main></body></html>';
      },
    },
  },
  cookies: { keys: ['valuegate-test-cookie-key'] },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const found = userBySub(sub);
    if (!found) return undefined;
    const [username, user] = found;
    return {
      accountId: sub,
      async claims() {
        const claims = { sub, email: user.email, email_verified: true, name: user.name };
        if (user.groups !== undefined) claims.groups = user.groups;
        if (user.overage) {
          // Microsoft Entra ID past 200 groups: a pointer to the groups instead of the list.
          claims._claim_names = { groups: 'src1' };
          claims._claim_sources = {
            src1: { endpoint: `https://graph.microsoft.com/v1.0/users/${sub}/getMemberObjects` },
          };
        }
        if (user.hasgroups) claims.hasgroups = true; // Entra's implicit-flow form of the overage
        if (user.preferred_username !== null) {
          claims.preferred_username = user.preferred_username ?? username;
        }
        return claims;
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope(scopes.join(' '));
    await grant.save();
    return grant;
  },
};

const provider = new Provider(issuer, configuration);

function page(uid, error) {
  const message = error ? `<p role="alert" id="error">${error}</p>` : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test IdP sign-in</title></head>
<body><main><h1>Test identity provider</h1>${message}
<form method="post" action="/interaction/${uid}/login">
<label for="username">Username</label> <input id="username" name="username" autocomplete="username">
<label for="password">Password</label> <input id="password" name="password" type="password">
<button type="submit">Sign in</button></form></main></body></html>`;
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return Object.fromEntries(new URLSearchParams(body));
}

provider.use(async (ctx, next) => {
  const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
  if (!match) return next();
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (ctx.method === 'GET' && !match[2]) {
    ctx.type = 'html';
    ctx.body = page(details.uid, '');
    return undefined;
  }
  if (ctx.method === 'POST' && match[2]) {
    const form = await readForm(ctx.req);
    const user = users()[form.username];
    if (!user || user.password !== form.password) {
      ctx.type = 'html';
      ctx.body = page(details.uid, 'Wrong username or password.');
      return undefined;
    }
    const redirectTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { login: { accountId: user.sub } },
      { mergeWithLastSubmission: false },
    );
    ctx.redirect(redirectTo);
    return undefined;
  }
  return next();
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider ${issuer} listening on 127.0.0.1:${port}`);
});
