// Sign-in, sessions, CSRF and the dev link of the web front end, over real HTTP with a real store.
import { afterEach, describe, expect, it } from 'vitest';
import { DEV_ADMIN_EMAIL } from '../../../web/app.ts';
import { Browser, startWeb, type WebUnderTest } from './support.ts';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ada@laptop';

let w: WebUnderTest | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const devWeb = () => startWeb({ dev: { host: '127.0.0.1', adminEmail: DEV_ADMIN_EMAIL } });

async function signInWithDevLink(web: WebUnderTest): Promise<Browser> {
  const b = new Browser(web.url);
  const res = await b.fetch(web.web.devSignInUrl!);
  expect(res.status).toBe(303);
  return b;
}

describe('the one-time dev sign-in link', () => {
  it('signs in the local admin once, with an HttpOnly SameSite=Lax cookie (not Secure on loopback dev)', async () => {
    w = await devWeb();
    expect(w.web.devSignInUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/auth\/dev\?token=[\w-]{43}$/);
    const b = new Browser(w.url);
    const first = await b.fetch(w.web.devSignInUrl!);
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/');
    const cookie = b.lastSetCookie.find((c) => c.startsWith('tispace_session='))!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).not.toMatch(/Secure/);
    const home = await b.fetch('/');
    expect(home.status).toBe(200);
    expect(await home.text()).toContain(DEV_ADMIN_EMAIL);

    const again = await new Browser(w.url).fetch(w.web.devSignInUrl!);
    expect(again.status).toBe(403);
    expect(await again.text()).toContain('already used');
  });

  it('does not exist outside dev mode', async () => {
    w = await startWeb({});
    expect(w.web.devSignInUrl).toBeUndefined();
    const res = await new Browser(w.url).fetch('/auth/dev?token=anything');
    expect(res.status).toBe(404);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('is refused when the server is not bound to loopback', async () => {
    w = await startWeb({ dev: { host: '0.0.0.0', adminEmail: DEV_ADMIN_EMAIL }, listenHost: '0.0.0.0' });
    expect(w.web.devSignInUrl).toBeUndefined();
    const res = await new Browser(w.url).fetch('/auth/dev?token=x');
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('only when TiSpace listens on loopback');
  });

  it('refuses a wrong token and still works with the right one afterwards', async () => {
    w = await devWeb();
    const wrong = await new Browser(w.url).fetch(
      '/auth/dev?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
    );
    expect(wrong.status).toBe(403);
    await signInWithDevLink(w);
  });
});

describe('sessions', () => {
  it('pages need a session: signed out → the sign-in page', async () => {
    w = await devWeb();
    const res = await new Browser(w.url).fetch('/');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/sign-in');
  });

  it('a cookie from a signed-out session is refused', async () => {
    w = await devWeb();
    const b = await signInWithDevLink(w);
    const stolen = new Map(b.jar);
    const csrf = await b.csrf();
    expect((await b.post('/sign-out', { _csrf: csrf })).headers.get('location')).toBe('/sign-in');
    const replay = new Browser(w.url);
    for (const [k, v] of stolen) replay.jar.set(k, v);
    const res = await replay.fetch('/keys');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/sign-in');
    // Nor may it change anything, even with the CSRF token of its page, nor use the API or the stream.
    const post = await replay.post('/keys', { key: KEY, _csrf: csrf });
    expect(post.status).toBe(401);
    expect(w.provisioner.api.listKeys({ userId: 'web-devlocaladmin' })).toMatchObject({
      ok: true,
      value: [],
    });
    for (const path of ['/api/v1/machines', '/api/v1/events']) {
      const api = await replay.fetch(path);
      expect(api.status, path).toBe(401);
      expect(await api.json()).toMatchObject({ error: { code: 'Unauthenticated' } });
    }
    const apiPost = await replay.fetch('/api/v1/keys', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify({ key: KEY }),
    });
    expect(apiPost.status).toBe(401);
    expect(w.provisioner.api.listKeys({ userId: 'web-devlocaladmin' })).toMatchObject({
      ok: true,
      value: [],
    });
  });

  it('sign out everywhere ends every session of the user', async () => {
    w = await devWeb();
    const one = await signInWithDevLink(w);
    const other = new Browser(w.url);
    // A second browser of the same user.
    const s = w.provisioner.web.openSession('web-devlocaladmin');
    other.jar.set('tispace_session', s.token);
    expect((await other.fetch('/')).status).toBe(200);
    await one.post('/sign-out-everywhere', { _csrf: await one.csrf('/tokens') });
    expect((await other.fetch('/')).headers.get('location')).toBe('/sign-in');
  });

  it('an idle session expires → sign-in, saying so', async () => {
    w = await devWeb();
    const b = await signInWithDevLink(w);
    w.clock.advance(w.provisioner.web.policy.idleMs + 1000);
    // The API refuses the expired session (a script, or the page's own calls).
    const api = await b.fetch('/api/v1/machines');
    expect(api.status).toBe(401);
    expect(await api.json()).toMatchObject({ error: { code: 'Unauthenticated' } });
    const res = await b.fetch('/');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/sign-in?expired=1');
    expect(await (await b.fetch('/sign-in?expired=1')).text()).toContain('Your session has expired');
  });

  it('a used session still ends at its absolute expiry', async () => {
    w = await devWeb();
    const b = await signInWithDevLink(w);
    const step = w.provisioner.web.policy.idleMs / 2;
    for (let t = 0; t + step < w.provisioner.web.policy.absoluteMs; t += step) {
      w.clock.advance(step);
      expect((await b.fetch('/usage')).status).toBe(200);
    }
    w.clock.advance(step);
    expect((await b.fetch('/usage')).headers.get('location')).toBe('/sign-in?expired=1');
  });

  it('signing in again rotates the session: the old cookie stops working', async () => {
    w = await devWeb();
    const b = new Browser(w.url);
    const pre = w.provisioner.web.openSession('web-devlocaladmin');
    b.jar.set('tispace_session', pre.token);
    await b.fetch(w.web.devSignInUrl!);
    expect(b.jar.get('tispace_session')).not.toBe(pre.token);
    expect(w.provisioner.web.session(pre.token).ok).toBe(false);
  });
});

describe('CSRF and headers', () => {
  it('a POST without the CSRF token is refused with 403 and changes nothing', async () => {
    w = await devWeb();
    const b = await signInWithDevLink(w);
    const res = await b.post('/keys', { key: KEY });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('CSRF');
    const wrong = await b.post('/keys', { key: KEY, _csrf: 'x'.repeat(43) });
    expect(wrong.status).toBe(403);
    expect(w.provisioner.api.listKeys({ userId: 'web-devlocaladmin' })).toMatchObject({
      ok: true,
      value: [],
    });
    const ok = await b.post('/keys', { key: KEY, _csrf: await b.csrf('/keys') });
    expect(ok.status).toBe(303);
    expect(w.provisioner.api.listKeys({ userId: 'web-devlocaladmin' })).toMatchObject({
      ok: true,
      value: [{ comment: 'ada@laptop' }],
    });
  });

  it('every page carries a strict CSP and refuses framing', async () => {
    w = await devWeb();
    const b = await signInWithDevLink(w);
    for (const path of ['/', '/keys', '/usage', '/tokens', '/sign-in']) {
      const res = await b.fetch(path);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      const body = await res.text();
      expect(body).not.toMatch(/<script>|style="/);
    }
  });

  it('a field error of the key form is shown on that field, and the key is not stored', async () => {
    w = await devWeb();
    const b = await signInWithDevLink(w);
    const res = await b.post('/keys', { key: 'not a key', _csrf: await b.csrf('/keys') });
    expect(res.status).toBe(422);
    const text = await res.text();
    expect(text).toMatch(/<textarea id="f-key" name="key"[^>]*aria-invalid="true"/);
    expect(text).toMatch(/id="key-error">[^<]+</);
  });
});
