// Dashboard first load in Chromium, for bench/run_server_bench.sh: the time from navigation
// start to the first animation frame in which every chart of the page has drawn pixels.
//
// Usage: node bench/dashboard_load.mjs CASE...
//   CASE is LABEL|URL|SELECTOR|COUNT|REPEAT: open URL (a dashboard route on a running
//   `perfledger serve`) REPEAT times, each in a fresh browser context (empty cache, as a first
//   visit), and wait until COUNT canvases match SELECTOR and each has a pixel that is neither
//   transparent nor white. The time is the page's own performance.now() at that frame
//   (milliseconds since its navigation started). The first case is loaded once untimed first,
//   so that starting Chromium's renderer is not counted.
// Prints one JSON line per case: {"label", "n", "p50_ms", "p99_ms", "min_ms", "max_ms", "first_ms"}.
// Exits 1 when a load fails: a timeout, a console error, an uncaught exception or an error box.
//
// Chromium and playwright-core as in tests/browser: Debian's /usr/bin/chromium (CHROMIUM
// overrides), playwright-core from web/node_modules; nothing is downloaded.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const { chromium } = createRequire(path.join(here, "../web/package.json"))("playwright-core");

const caseArgs = process.argv.slice(2);
const cases = caseArgs.map((arg) => {
  const [label, url, selector, count, repeat] = arg.split("|");
  return { label, url, selector, count: Number(count), repeat: Number(repeat) };
});
if (cases.length === 0 || cases.some((c) => !c.url || !(c.count >= 1) || !(c.repeat >= 1))) {
  console.error("usage: node bench/dashboard_load.mjs LABEL|URL|SELECTOR|COUNT|REPEAT...");
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});

// Runs in the page: performance.now() once `count` canvases match `selector` and all have drawn.
function drawn([selector, count]) {
  const canvases = document.querySelectorAll(selector);
  if (canvases.length < count) return false;
  for (const canvas of canvases) {
    if (canvas.width === 0 || canvas.height === 0) return false;
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    let ink = false;
    for (let i = 0; i < data.length && !ink; i += 4) {
      ink = data[i + 3] > 0 && !(data[i] > 245 && data[i + 1] > 245 && data[i + 2] > 245);
    }
    if (!ink) return false;
  }
  return performance.now();
}

async function load(url, selector, count) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    await page.goto(url);
    const handle = await page.waitForFunction(drawn, [selector, count], { polling: "raf", timeout: 120_000 });
    const ms = await handle.jsonValue();
    const boxes = await page.locator(".error").allTextContents();
    if (boxes.length) errors.push(`error box: ${boxes.join("; ")}`);
    if (errors.length) throw new Error(`${url}: ${errors.join("; ")}`);
    return ms;
  } finally {
    await context.close();
  }
}

const quantile = (sorted, p) => sorted[Math.min(sorted.length, Math.max(1, Math.ceil(p * sorted.length))) - 1];

let failed = false;
for (const [i, { label, url, selector, count, repeat }] of cases.entries()) {
  try {
    if (i === 0) await load(url, selector, count);
    const ms = [];
    for (let k = 0; k < repeat; ++k) ms.push(await load(url, selector, count));
    const first = ms[0];
    ms.sort((a, b) => a - b);
    console.log(JSON.stringify({ label, n: ms.length, p50_ms: quantile(ms, 0.5), p99_ms: quantile(ms, 0.99),
                                 min_ms: ms[0], max_ms: ms[ms.length - 1], first_ms: first }));
  } catch (e) {
    failed = true;
    console.error(`dashboard_load: ${label}: ${e.message}`);
    console.log(JSON.stringify({ label, error: e.message.split("\n")[0] }));
  }
}
await browser.close();
process.exit(failed ? 1 : 0);
