// Drives the official Socket.IO Admin UI (`@socket.io/admin-ui`'s `ui/dist`, served by the
// test) in headless Chromium against our server: logs in with a user and password, waits
// until the sockets page lists the expected sockets and the rooms page their room, saves a
// screenshot, then clicks "disconnect" on one socket. Succeeds (exit 0) when the UI removed
// that socket from its list; the test checks from the client side that it was disconnected.
//
// Usage: node admin_ui.mjs <ui url> <server url> <chromium path> <screenshot path> <spec json>
// spec: {"username", "password", "sockets": [sid...], "room", "disconnect": sid}
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [ui, server, executablePath, screenshot, specJson] = process.argv.slice(2);
const spec = JSON.parse(specJson);
const TIMEOUT = 20000;
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

const step = (what) => console.log(`step: ${what}`);
const dir = mkdtempSync(join(tmpdir(), "admin-ui-"));
let context;
let page;
let failed = false;
try {
  context = await chromium.launchPersistentContext(dir, {
    executablePath,
    headless: true,
    args: ARGS,
    timeout: TIMEOUT,
    viewport: { width: 1400, height: 900 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(TIMEOUT);
  page.on("pageerror", (e) => console.error(`page error: ${e.message}`));
  // The UI links web fonts and icons from CDNs: keep the test on loopback.
  await page.route("**/*", (route) => {
    const host = new URL(route.request().url()).hostname;
    return host === "127.0.0.1" || host === "localhost" ? route.continue() : route.abort();
  });

  step("log in");
  await page.goto(ui);
  const inputs = page.locator(".v-dialog input");
  await inputs.first().waitFor();
  await inputs.nth(0).fill(server);
  await inputs.nth(1).fill(spec.username);
  await page.locator('.v-dialog input[type="password"]').fill(spec.password);
  await page.locator('.v-dialog button[type="submit"]').click();
  await page.locator(".v-dialog").waitFor({ state: "hidden" });

  step("sockets page lists our sockets");
  await page.goto(`${ui}#/sockets/`);
  for (const sid of spec.sockets) {
    await page.locator("tbody tr", { hasText: sid }).first().waitFor();
  }

  step("rooms page lists the room");
  await page.goto(`${ui}#/rooms/`);
  await page.locator("tbody tr", { hasText: spec.room }).first().waitFor();

  step("socket page shows its rooms");
  await page.goto(`${ui}#/n/${encodeURIComponent("/")}/sockets/${spec.disconnect}`);
  await page.getByText(spec.room, { exact: true }).first().waitFor();

  await page.goto(`${ui}#/sockets/`);
  for (const sid of spec.sockets) {
    await page.locator("tbody tr", { hasText: sid }).first().waitFor();
  }
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(`screenshot: ${screenshot}`);

  step("disconnect one socket");
  const row = page.locator("tbody tr", { hasText: spec.disconnect }).first();
  await row.locator("button").last().click();
  // The click also reaches the row, which opens the socket's page: go back to the list,
  // where the socket disappears once the server reports it disconnected.
  await page.goto(`${ui}#/sockets/`);
  await page.waitForFunction(
    ([gone, kept]) => {
      const rows = [...document.querySelectorAll("tbody tr")].filter((tr) => tr.offsetParent !== null);
      const shows = (sid) => rows.some((tr) => tr.children.length > 0 && tr.children[0].textContent.trim() === sid);
      return location.hash === "#/sockets/" && shows(kept) && !shows(gone);
    },
    [spec.disconnect, spec.sockets.find((s) => s !== spec.disconnect)],
  );
  console.log("disconnected in the UI");
} catch (e) {
  failed = true;
  console.error(`FAILED: ${e.message}`);
  if (page) {
    const text = await page.locator("body").innerText().catch(() => "");
    console.error(`page shows: ${text.slice(0, 2000)}`);
    await page.screenshot({ path: screenshot, fullPage: true }).catch(() => {});
  }
} finally {
  await context?.close().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
