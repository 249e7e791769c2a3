// Drives Debian's chromium (headless, through playwright-core) through the auth example's
// login page: node drive.mjs <page URL> <e-mail> <password> <access token lifetime, s>
// Prints one JSON object: for each step, the page's last answer ("<status> <body>") and the
// cookies the browser holds (name, path, httpOnly, secure, sameSite; never their values).
import { chromium } from 'playwright-core';

const [url, email, password, ttl] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
         '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const steps = [];
try {
  // Caddy's own local CA signs the page's certificate: not trusted by this browser
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const out = page.locator('#out');
  const cookies = async () => (await context.cookies()).map((c) => ({
    name: c.name, path: c.path, httpOnly: c.httpOnly, secure: c.secure, sameSite: c.sameSite }));
  const record = async (name) => steps.push({ name, answer: await out.textContent(), cookies: await cookies() });
  // click and wait for the page's answer to that click
  const click = async (selector, name) => {
    const seq = Number((await out.getAttribute('data-seq')) || 0);
    await page.click(selector);
    await page.waitForFunction((n) => Number(document.getElementById('out').dataset.seq || 0) > n, seq);
    await record(name);
  };
  const expire = () => new Promise((r) => setTimeout(r, (Number(ttl) + 1.5) * 1000));

  await page.goto(url);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await click('#login-button', 'login');
  await click('#todos', 'todos');
  await expire();
  await record('access cookie expired');
  await click('#todos', 'todos without access cookie');
  await click('#refresh', 'refresh');
  await click('#todos', 'todos after refresh');
  await expire();
  await record('access cookie expired again');
  await click('#logout', 'logout with only the refresh cookie');
  await click('#refresh', 'refresh after logout');
  await click('#todos', 'todos after logout');
} finally {
  await browser.close();
}
console.log(JSON.stringify(steps));
