// Drives the chat example in headless Chromium with two users, each a browser with its own
// fresh profile: both connect with a nick, join the same room, and each sends a message.
// Succeeds (exit 0) when each page shows the other's message; prints what each page shows.
//
// Usage: node chat.mjs <base url> <chromium path>
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [base, executablePath] = process.argv.slice(2);
const TIMEOUT = 15000;
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

async function user(nick) {
  const dir = mkdtempSync(join(tmpdir(), `chat-${nick}-`));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath,
    headless: true,
    args: ARGS,
    timeout: TIMEOUT,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => console.error(`[${nick}] page error: ${e.message}`));
  await page.goto(base);
  await page.fill("#nick", nick);
  await page.click("#connect");
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("connected"));
  await page.fill("#room", "lobby");
  await page.click("#join");
  await page.waitForFunction(() => document.getElementById("status").textContent === "in room lobby");
  return { nick, page, close: async () => { await context.close(); rmSync(dir, { recursive: true, force: true }); } };
}

async function say(u, text) {
  await u.page.fill("#text", text);
  await u.page.click("#send");
}

async function sees(u, line) {
  await u.page.waitForFunction(
    (want) => [...document.querySelectorAll("#log li.line")].some((li) => li.textContent === want),
    line,
  );
}

const users = [];
let failed = false;
try {
  const alice = await user("alice");
  users.push(alice);
  const bob = await user("bob");
  users.push(bob);
  // Alice sees Bob arrive: both are in the room before anyone speaks.
  await alice.page.waitForFunction(() =>
    [...document.querySelectorAll("#log li.notice")].some((li) => li.textContent === "[lobby] bob joined"));
  await say(alice, "hello from alice");
  await say(bob, "hi alice, bob here");
  await sees(bob, "[lobby] alice: hello from alice");
  await sees(alice, "[lobby] bob: hi alice, bob here");
} catch (e) {
  failed = true;
  console.error(`FAILED: ${e.message}`);
} finally {
  for (const u of users) {
    const log = await u.page.$$eval("#log li", (lis) => lis.map((li) => li.textContent)).catch(() => []);
    console.log(`${u.nick} sees: ${JSON.stringify(log)}`);
    await u.close().catch(() => {});
  }
}
process.exit(failed ? 1 : 0);
