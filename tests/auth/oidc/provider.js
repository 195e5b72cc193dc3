// A real OpenID provider for Landgrid's auth tests, started by tests/auth/conftest.py.
// Environment: PORT, AUDIENCE (the API's resource indicator), JWKS_FILE (private signing
// keys written by the fixture, so tests can also forge tokens with the provider's own key),
// APP_URL (redirect URIs of the browser client).
import { readFileSync } from 'node:fs';

import Provider, { errors } from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const audience = process.env.AUDIENCE;
const appUrl = process.env.APP_URL || 'http://127.0.0.1';

// Who is who: client_credentials clients stand for users (sub = client_id); accounts of the
// browser login (any name at the dev login form) get the roles of the same name.
const ROLES = {
  'user-a': [], 'user-b': [], operator: ['operator'], editor: ['editor'], admin: ['admin'],
  opaque: [],
};
const OPAQUE = new Set(['opaque']);

const machineClients = Object.keys(ROLES).map((id) => ({
  client_id: id,
  client_secret: `${id}-secret`,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  scope: 'read process',
}));

const provider = new Provider(issuer, {
  clients: [
    ...machineClients,
    {
      // Landgrid itself: browser login (authorization code) and introspection
      client_id: 'landgrid-web',
      client_secret: 'landgrid-web-secret',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [`${appUrl}/authorize`],
      post_logout_redirect_uris: [`${appUrl}/`],
    },
  ],
  jwks: JSON.parse(readFileSync(process.env.JWKS_FILE, 'utf8')),
  cookies: { keys: ['landgrid-test-cookie-key'] },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub }) }),
  extraTokenClaims: async (ctx, token) => ({
    roles: ROLES[token.accountId ?? token.clientId] ?? [],
  }),
  scopes: ['openid', 'offline_access', 'read', 'process'],
  ttl: {
    ClientCredentials: 300, AccessToken: 300, Session: 3600, Grant: 3600, Interaction: 600,
  },
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    revocation: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: async () => audience,
      useGrantedResource: async () => true,
      getResourceServerInfo: async (ctx, resource, client) => {
        if (resource !== audience) throw new errors.InvalidTarget();
        return {
          scope: 'read process',
          audience,
          accessTokenTTL: 300,
          accessTokenFormat: OPAQUE.has(client.clientId) ? 'opaque' : 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
