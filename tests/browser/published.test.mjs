// The published dashboard (`perfledger publish`) in Debian's Chromium: the store fixture.mjs
// makes is published with --base-url /repo/ and served by a plain static file server (below:
// files only, under /repo/, as GitHub Pages serves a repository's site), with no perfledger
// process running. Every page renders its data from the files, every request stays under
// /repo/ and finds its file, nothing asks for the API, and no triage control, token setting or
// queue is there. Screenshots go to $PERFLEDGER_SCREENSHOTS/published-*.png.
//
// Environment: as dashboard.test.mjs (PERFLEDGER_BIN, CHROMIUM, PERFLEDGER_SCREENSHOTS,
// PERFLEDGER_KEEP_TMP).
import assert from "node:assert/strict";
import fs from "node:fs";
import http from "node:http";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Fixture, kPlatforms } from "./fixture.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = path.resolve(here, "../../web");
const bin = process.env.PERFLEDGER_BIN;
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const shots = process.env.PERFLEDGER_SCREENSHOTS ?? path.join(os.tmpdir(), "perfledger-screenshots");
const kBase = "/repo/";

let fixture;
let site;     // the published directory
let server;   // the static file server
let origin;   // http://127.0.0.1:PORT
let browser;
const served = [];  // [status, path] of every request the static server answered

const kTypes = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".json": "application/json" };

// Files below `dir` under the URL path kBase; anything else 404. GET and HEAD only.
function staticServer(dir) {
  return http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url, "http://x").pathname);
    let status = 404;
    let body = "not found";
    let type = "text/plain";
    if (p.startsWith(kBase) && !p.split("/").includes("..")) {
      let file = path.join(dir, p.slice(kBase.length));
      if (p.endsWith("/")) file = path.join(file, "index.html");
      if (fs.existsSync(file) && fs.statSync(file).isFile()) {
        status = 200;
        body = fs.readFileSync(file);
        type = kTypes[path.extname(file)] ?? "application/octet-stream";
      }
    }
    served.push([status, p]);
    res.writeHead(status, { "Content-Type": type });
    res.end(req.method === "HEAD" ? undefined : body);
  });
}

before(async () => {
  assert.ok(bin && fs.existsSync(bin), `PERFLEDGER_BIN must name the perfledger binary (got ${bin})`);
  assert.ok(fs.existsSync(chromiumPath), `no Chromium at ${chromiumPath}: scripts/setup-deps.sh installs Debian's chromium`);
  fs.mkdirSync(shots, { recursive: true });
  const { chromium } = createRequire(path.join(webDir, "package.json"))("playwright-core");
  fixture = new Fixture(bin);
  fixture.makeRepository();
  fixture.measure();
  site = path.join(fixture.dir, "site");
  fixture.pl(["publish", "--out", site, "--base-url", kBase, "--repo-url", "git@github.com:o/r.git"]);
  server = staticServer(site);
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${server.address().port}`;
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  await fixture?.close();
});

const sha = (i) => fixture.shas[i - 1];
const readJson = (relative) => JSON.parse(fs.readFileSync(path.join(site, relative), "utf8"));

// A fresh context on kBase + route; console errors, page errors and requests that leave kBase.
async function open(route, prepare = async () => {}, contextOptions = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...contextOptions });
  const page = await context.newPage();
  const errors = [];
  const outside = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => !r.url().startsWith(origin + kBase) && !r.url().startsWith("data:") && outside.push(r.url()));
  await prepare(page);
  await page.goto(origin + kBase + route);
  return { page, context, errors, outside };
}

async function drawnPixels(page, selector) {
  return page.$eval(selector, (canvas) => {
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 0 && !(data[i] > 245 && data[i + 1] > 245 && data[i + 2] > 245)) ++n;
    }
    return n;
  });
}

test("publish wrote the site: the app, its marker and the data files", () => {
  const marker = readJson("static.json");
  assert.equal(marker.project, "demo");
  assert.equal(marker.base_url, kBase);
  const html = fs.readFileSync(path.join(site, "index.html"), "utf8");
  assert.match(html, /<meta name="perfledger-static" content="\d{4}-\d\d-\d\dT[\d:]+Z" \/>/);
  assert.match(html, /<base href="\/repo\/" \/>/);
  assert.ok(fs.existsSync(path.join(site, ".nojekyll")));
  const { benchmarks } = readJson("data/benchmarks.json");
  assert.deepEqual(benchmarks.map((b) => b.name).sort(), ["io/read_file", "lex", "micro/BM_Sort/1024", "micro/BM_Sort/4096", "parse"]);
  const parse = readJson("data/series/parse/metrics.json");
  assert.deepEqual(parse.metrics.map((m) => m.name).sort(), ["instructions", "wall_time"]);
  assert.ok(parse.metrics.some((m) => m.name === parse.default_metric));
  assert.ok(readJson("data/series/micro~2fBM_Sort~2f4096/wall_time.json").series.length >= 2);
  assert.ok(readJson("data/compare.json").comparisons.length > 0);
});

test("every page renders its published data, under the base URL, without errors", async (t) => {
  const alerts = readJson("data/alerts/any/any.json").alerts;
  const parseAlert = alerts.find((a) => a.benchmark === "parse" && a.platform === "x86-64-linux" && a.commit_range.from);
  assert.ok(parseAlert, "the fixture's parse regression has an alert with a range");
  const pages = [
    ["overview", "#/", ".card[data-platform] canvas.sparkline"],
    ["benchmark", "#/benchmark?name=parse", ".chart[data-platform] canvas"],
    ["benchmark-list", "#/benchmark?q=micro", ".bench-list li"],
    ["compare", `#/compare?base=${parseAlert.commit_range.from}&head=${parseAlert.commit_range.to}&platform=x86-64-linux`, "table.grid tbody tr"],
    ["cross-platform", "#/cross?name=parse", ".chart canvas"],
    ["coverage", "#/coverage", "canvas.strip"],
    ["alerts", "#/alerts", "tr[data-alert-id]"],
    ["queue", "#/queue", "main .note"],
  ];
  for (const [name, route, ready] of pages) {
    await t.test(name, async () => {
      const first = served.length;
      const { page, context, errors, outside } = await open(route);
      try {
        await page.waitForSelector(ready, { timeout: 20_000 });
        await page.waitForLoadState("networkidle");
        assert.equal(await page.locator(".error").count(), 0, `an error box on ${route}: ${await page.locator(".error").allTextContents()}`);
        assert.deepEqual(errors, [], `console errors on ${route}`);
        assert.deepEqual(outside, [], `requests outside ${kBase} from ${route}`);
        const missing = served.slice(first).filter(([status]) => status !== 200);
        assert.deepEqual(missing, [], `files not found for ${route}`);
        assert.ok(!served.slice(first).some(([, p]) => p.includes("/api/")), `the API asked for from ${route}`);
        await page.screenshot({ path: path.join(shots, `published-${name}.png`), fullPage: true });
      } finally {
        await context.close();
      }
    });
  }
});

test("the data is the store's: overview cards, charts with lines, compare verdicts, coverage strips", async () => {
  let { page, context } = await open("#/");
  try {
    await page.waitForFunction(() => document.querySelectorAll(".card .pending").length === 0);
    for (const p of kPlatforms) {
      const text = await page.locator(`.card[data-platform="${p}"]`).innerText();
      assert.match(text, /measured/);
      assert.ok((await drawnPixels(page, `.card[data-platform="${p}"] canvas.sparkline`)) > 50, `${p}: sparkline drawn`);
    }
    assert.match(await page.locator("main").innerText(), /this range regressed/);
    assert.match(await page.locator("header").innerText(), /published \d{4}-/);
  } finally {
    await context.close();
  }

  ({ page, context } = await open("#/benchmark?name=parse"));
  try {
    await page.waitForSelector(".chart[data-platform] canvas");
    for (const p of kPlatforms) {
      assert.ok((await drawnPixels(page, `.chart[data-platform="${p}"] canvas`)) > 1000, `${p}: the chart has a line`);
    }
    // The other metric: its own file.
    await page.waitForSelector('select[aria-label="metric"] option[value="instructions"]', { state: "attached" });
    await page.selectOption('select[aria-label="metric"]', "instructions");
    await page.waitForFunction(() => location.hash.includes("metric=instructions"));
    await page.waitForSelector(".chart[data-platform] canvas");
    assert.match(await page.locator(".toolbar").innerText(), /lower is better/);
    assert.equal(await page.locator(".error").count(), 0);
  } finally {
    await context.close();
  }

  ({ page, context } = await open("#/coverage?platform=aarch64-macos"));
  try {
    await page.waitForSelector("canvas.strip");
    assert.equal(await page.locator("canvas.strip").count(), 1, "the platform's own coverage file");
    assert.equal(await page.locator('select[aria-label="since"]').count(), 0, "no window: coverage is the whole branch");
  } finally {
    await context.close();
  }
});

test("a comparison that was not published says so and lists those that were", async () => {
  const { page, context, errors } = await open(`#/compare?base=${sha(10)}&head=${sha(32)}&platform=x86-64-linux`);
  try {
    await page.waitForSelector(".error");
    assert.match(await page.locator(".error").innerText(), /not in the published dashboard/);
    const links = page.locator(".published-comparisons a");
    await links.first().waitFor();
    assert.ok((await links.count()) > 0);
    await links.first().click();
    await page.waitForSelector("table.grid tbody tr");
    assert.equal(await page.locator(".error").count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("read-only: no triage controls, no token setting, no queue", async () => {
  const { page, context } = await open("#/alerts?status=");
  try {
    await page.waitForSelector("tr[data-alert-id]");
    assert.equal(await page.locator("main button").count(), 0, "no buttons on the alerts page");
    assert.equal(await page.locator("main input:not([type=search])").count(), 0, "no note inputs");
    assert.equal(await page.locator(".actions, [data-action]").count(), 0, "no triage actions");
    assert.equal(await page.locator(".token-button, .settings").count(), 0, "no token setting");
    assert.equal(await page.locator('nav a[data-page="queue"]').count(), 0, "no Queue in the navigation");
    assert.ok((await page.locator("nav a").count()) >= 6);
  } finally {
    await context.close();
  }
});

test("a long line: the chart shows the display file, a zoom reads the full one", async () => {
  // The fixture's lines are short (the display file holds every point), so the browser is
  // shown a long line: metrics.json says parse's wall_time has a full file, the display file
  // keeps 8 points of each line, and the full file is the complete line.
  const dir = `${origin}${kBase}data/series/parse/`;
  const display = readJson("data/series/parse/wall_time.json");
  const asked = [];
  const { page, context, errors } = await open("#/benchmark?name=parse&metric=wall_time&platform=x86-64-linux", async (p) => {
    await p.route(`${dir}metrics.json`, (route) => {
      const doc = readJson("data/series/parse/metrics.json");
      for (const m of doc.metrics) m.full = m.name === "wall_time";
      return route.fulfill({ json: doc });
    });
    await p.route(`${dir}wall_time.json`, (route) => {
      asked.push("display");
      const doc = structuredClone(display);
      for (const e of doc.series) {
        e.points_total = e.points.length;
        const step = Math.ceil(e.points.length / 8);
        e.points = e.points.filter((_, i) => i % step === 0 || i === e.points.length - 1);
      }
      return route.fulfill({ json: doc });
    });
    await p.route(`${dir}wall_time.full.json`, (route) => {
      asked.push("full");
      const doc = structuredClone(display);
      for (const e of doc.series) delete e.points_total;
      return route.fulfill({ json: doc });
    });
  });
  try {
    const chart = '.chart[data-platform="x86-64-linux"]';
    await page.waitForSelector(`${chart} canvas`);
    assert.match(await page.locator(".resolution").innerText(), /of \d+ points/);
    const over = await page.locator(`${chart} .u-over`).boundingBox();
    const at = (fx) => [over.x + over.width * fx, over.y + over.height * 0.5];
    await page.mouse.move(...at(0.3));
    await page.mouse.down();
    await page.mouse.move(...at(0.5), { steps: 5 });
    await page.mouse.move(...at(0.7), { steps: 5 });
    await page.mouse.up();
    await page.waitForSelector('.resolution[data-state="zoomed"]');
    assert.match(await page.locator(".resolution").innerText(), /every point of the zoomed range/);
    assert.deepEqual(asked, ["display", "full"]);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("commits link to the repository given with publish --repo-url; alert groups name their subject", async () => {
  const doc = readJson("data/projects.json");
  assert.equal(doc.repository_url, "https://github.com/o/r");
  assert.equal(doc.commit_url, "https://github.com/o/r/commit/{sha}");
  const { groups } = readJson("data/alerts/any/any.json");
  const subjectOf = (s) => fixture.subjects[fixture.shas.indexOf(s)];
  for (const g of groups) assert.equal(g.subject, subjectOf(g.commit_range.to));
  const { page, context, errors, outside } = await open("#/alerts?status=");
  try {
    await page.waitForFunction(() => [...document.querySelectorAll("section.group a.commit")].some((a) => a.href));
    const hrefs = await page.locator("section.group .group-head a.commit").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    for (const href of hrefs) {
      const m = /^https:\/\/github\.com\/o\/r\/commit\/([0-9a-f]{40})$/.exec(href);
      assert.ok(m && fixture.shas.includes(m[1]), href);
    }
    for (const g of groups) {
      assert.match(await page.locator(`section.group[data-range="${g.commit_range.to}"] .group-head`).innerText(), new RegExp(subjectOf(g.commit_range.to)));
    }
    assert.deepEqual(errors, []);
    assert.deepEqual(outside, []);
  } finally {
    await context.close();
  }
});

test("Compare without two commits offers the newest two of each platform: published comparisons", async () => {
  const { page, context, errors } = await open("#/compare");
  try {
    await page.waitForSelector("a.compare-offer");
    assert.equal(await page.locator("a.compare-offer").count(), kPlatforms.length);
    await page.locator("a.compare-offer").first().click();
    await page.waitForSelector("table.grid tbody tr");
    assert.equal(await page.locator(".error").count(), 0, "the offered pair is published");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("on a 390 px phone, in the dark: no page is wider than the screen", async (t) => {
  for (const [name, route, ready] of [
    ["overview", "#/", ".card[data-platform] canvas.sparkline"],
    ["benchmark", "#/benchmark?name=parse", ".chart[data-platform] canvas"],
    ["compare", "#/compare", "a.compare-offer"],
    ["coverage", "#/coverage", "canvas.strip"],
    ["alerts", "#/alerts", "tr[data-alert-id]"],
  ]) {
    await t.test(name, async () => {
      const { page, context, errors } = await open(route, async () => {}, { viewport: { width: 390, height: 844 }, colorScheme: "dark" });
      try {
        await page.waitForSelector(ready, { timeout: 20_000 });
        await page.waitForLoadState("networkidle");
        const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
        assert.ok(width <= 390, `${route}: the page is ${width} px wide`);
        const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        const [r, g, b] = bg.match(/\d+/g).map(Number);
        assert.ok(r + g + b < 3 * 60, `a dark background: ${bg}`);
        assert.deepEqual(errors, []);
        await page.screenshot({ path: path.join(shots, `published-phone-dark-${name}.png`), fullPage: true });
      } finally {
        await context.close();
      }
    });
  }
});
