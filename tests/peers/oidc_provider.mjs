// A standard OpenID Connect provider for the tests: panva's oidc-provider (OpenID Certified), with its
// built-in development login and consent pages. Any login name is an account; the password is ignored.
// Usage: node oidc_provider.mjs <node_modules> <port> <client_id> <client_secret> <redirect_uri>
import { createRequire } from "node:module";
import path from "node:path";

const [modules, port, clientId, clientSecret, redirectUri] = process.argv.slice(2);
const require = createRequire(path.join(modules, "noop.js"));
const { default: Provider } = await import(require.resolve("oidc-provider"));

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ["firebell-tests-only"] },
  pkce: { required: () => true },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async () => ({
      sub: `subject-${id}`,
      email: `${id}@example.com`,
      email_verified: !id.startsWith("unverified"),
      name: id.charAt(0).toUpperCase() + id.slice(1),
    }),
  }),
});
provider.proxy = false;
provider.listen(Number(port), "127.0.0.1", () => console.log(`ready ${issuer}`));
