// Shared by Ponte's pages: sign-in by OIDC code + PKCE against the API's own issuer, the
// signed-in API call, and small DOM helpers. The page defines CONFIG, TOKEN_KEY, idToken, $.
function b64url(bytes) { return btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""); }
function randomString() { return b64url(crypto.getRandomValues(new Uint8Array(32))); }
function claims(token) { try { return JSON.parse(atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))); } catch { return null; } }
function here() { return location.origin + location.pathname; }

async function discovery() {
  const answer = await fetch(CONFIG.issuer.replace(/\/$/, "") + "/.well-known/openid-configuration");
  if (!answer.ok) throw new Error("Não foi possível encontrar o provedor de identidade");
  return answer.json();
}

async function signIn() {
  const params = new URLSearchParams(location.search);
  if (params.get("code")) {
    const verifier = sessionStorage.getItem("ponte.pkce.verifier");
    if (!verifier || params.get("state") !== sessionStorage.getItem("ponte.pkce.state")) throw new Error("Sessão de login inválida: tente de novo");
    const oidc = await discovery();
    const answer = await fetch(oidc.token_endpoint, { method: "POST", headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "authorization_code", code: params.get("code"), redirect_uri: here(), client_id: CONFIG.clientId, code_verifier: verifier }) });
    if (!answer.ok) throw new Error("O login foi recusado");
    const tokens = await answer.json();
    sessionStorage.setItem(TOKEN_KEY, tokens.id_token);
    sessionStorage.removeItem("ponte.pkce.verifier");
    history.replaceState(null, "", here());
  }
  const stored = sessionStorage.getItem(TOKEN_KEY);
  const c = stored && claims(stored);
  if (c && c.exp * 1000 > Date.now() + 30000) { idToken = stored; return c; }
  const oidc = await discovery();
  const verifier = randomString(), state = randomString();
  const challenge = b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  sessionStorage.setItem("ponte.pkce.verifier", verifier);
  sessionStorage.setItem("ponte.pkce.state", state);
  location.assign(oidc.authorization_endpoint + "?" + new URLSearchParams({ response_type: "code", client_id: CONFIG.clientId,
    redirect_uri: here(), scope: "openid email profile", state, code_challenge: challenge, code_challenge_method: "S256" }));
  return null;
}

async function api(path, options = {}) {
  const answer = await fetch(CONFIG.api + path, { ...options, headers: { "Authorization": "Bearer " + idToken, "Content-Type": "application/json", ...(options.headers || {}) } });
  const body = await answer.json().catch(() => ({}));
  if (answer.status === 401) { sessionStorage.removeItem(TOKEN_KEY); }
  if (!answer.ok) { const why = (body.details || []).flatMap((d) => d.messages)[0] || body.error || "Erro " + answer.status; throw new Error(why); }
  return body;
}

function notice(text, kind = "") { const n = $("notice"); n.textContent = text; n.className = kind; }
