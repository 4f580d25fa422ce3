// The dashboard in a real browser: Debian's Chromium, headless, driven by playwright-core (from
// web/node_modules; it never downloads a browser) against `perfledger serve` on a store made by
// the real CLI (fixture.mjs). Every page loads without console errors and fetches nothing from
// elsewhere, charts draw, hover and zoom work, two chart points open Compare, an alert is
// acknowledged, a private server asks for a token, and the Queue page shows what agents do.
// The dashboard is served from the binary, and (the private server) from the built directory.
// Screenshots go to $PERFLEDGER_SCREENSHOTS (CTest: <build>/tests/browser/screenshots).
//
// Environment: PERFLEDGER_BIN (the perfledger binary), PERFLEDGER_WEB_DIST (the built
// dashboard), CHROMIUM (default /usr/bin/chromium), PERFLEDGER_SCREENSHOTS, PERFLEDGER_KEEP_TMP.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Fixture, commitTime, kCommits, kPlatforms } from "./fixture.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = path.resolve(here, "../../web");
const bin = process.env.PERFLEDGER_BIN;
const dist = process.env.PERFLEDGER_WEB_DIST ?? path.join(webDir, "dist");
const chromiumPath = process.env.CHROMIUM || "/usr/bin/chromium";
const shots = process.env.PERFLEDGER_SCREENSHOTS ?? path.join(os.tmpdir(), "perfledger-screenshots");

let fixture;
let url;
let browser;

before(async () => {
  assert.ok(bin && fs.existsSync(bin), `PERFLEDGER_BIN must name the perfledger binary (got ${bin})`);
  assert.ok(fs.existsSync(path.join(dist, "index.html")), `no built dashboard in ${dist}: build target perfledger_web`);
  assert.ok(fs.existsSync(chromiumPath), `no Chromium at ${chromiumPath}: scripts/setup-deps.sh installs Debian's chromium`);
  fs.mkdirSync(shots, { recursive: true });
  const { chromium } = createRequire(path.join(webDir, "package.json"))("playwright-core");
  fixture = new Fixture(bin);
  fixture.makeRepository();
  fixture.measure();
  url = await fixture.serve(null);  // the dashboard built into the binary
  browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync"],
  });
});

after(async () => {
  await browser?.close();
  await fixture?.close();
});

// A fresh browser context (its own localStorage) on `route`; console errors, page errors and
// requests to other origins are collected. `prepare(page)` runs before the page loads.
async function open(route, base = url, prepare = async () => {}, contextOptions = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...contextOptions });
  const page = await context.newPage();
  const errors = [];
  const foreign = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("request", (r) => !r.url().startsWith(base) && !r.url().startsWith("data:") && foreign.push(r.url()));
  await prepare(page);
  await page.goto(base + route);
  return { page, context, errors, foreign };
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
}

// How many pixels of the canvas are drawn (not transparent, not white).
async function drawnPixels(page, selector) {
  return page.$eval(selector, (canvas) => {
    const ctx = canvas.getContext("2d");
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (data[i + 3] > 0 && !(data[i] > 245 && data[i + 1] > 245 && data[i + 2] > 245)) ++n;
    }
    return n;
  });
}

async function xRange(page, chart) {
  const box = page.locator(chart);
  const min = Number(await box.getAttribute("data-x-min"));
  const max = Number(await box.getAttribute("data-x-max"));
  return { min, max, span: max - min };
}

const sha = (i) => fixture.shas[i - 1];

test("every page loads without console errors and fetches only from its server", async (t) => {
  const pages = [
    ["overview", "#/", ".card[data-platform]"],
    ["benchmark", "#/benchmark?name=parse", ".chart[data-platform] canvas"],
    ["benchmark-list", "#/benchmark?q=micro", ".bench-list li"],
    ["compare", `#/compare?base=${sha(10)}&head=${sha(32)}&platform=x86-64-linux`, "table.grid tbody tr"],
    ["cross-platform", "#/cross?name=parse", ".chart canvas"],
    ["coverage", "#/coverage", "canvas.strip"],
    ["alerts", "#/alerts", "tr[data-alert-id]"],
    ["queue", "#/queue", ".queue-summary"],
  ];
  for (const [name, route, ready] of pages) {
    await t.test(name, async () => {
      const { page, context, errors, foreign } = await open(route);
      try {
        await page.waitForSelector(ready, { timeout: 20_000 });
        await page.waitForLoadState("networkidle");
        assert.equal(await page.locator(".error").count(), 0, `an error box on ${route}: ${await page.locator(".error").allTextContents()}`);
        assert.deepEqual(errors, [], `console errors on ${route}`);
        assert.deepEqual(foreign, [], `requests to other origins from ${route}`);
        await shot(page, name);
      } finally {
        await context.close();
      }
    });
  }
});

test("overview shows every platform, coverage, the index and what moved", async () => {
  const { page, context } = await open("#/");
  try {
    await page.waitForSelector(".card[data-platform] canvas.sparkline");
    await page.waitForFunction(() => document.querySelectorAll(".card .pending").length === 0);  // every answer drawn
    for (const p of kPlatforms) {
      const card = page.locator(`.card[data-platform="${p}"]`);
      await assert.doesNotReject(card.waitFor(), p);
      const text = await card.innerText();
      assert.match(text, /measured/);
      assert.match(text, /represented/);
      assert.ok((await drawnPixels(page, `.card[data-platform="${p}"] canvas.sparkline`)) > 50, `${p}: sparkline drawn`);
    }
    const moved = await page.locator("main").innerText();
    assert.match(moved, /this range regressed/);
    assert.match(moved, /parse/);
  } finally {
    await context.close();
  }
});

test("benchmark chart: drawn per platform, hover shows the point, zoom, pan and reset", async () => {
  const { page, context, errors } = await open("#/benchmark?name=parse");
  try {
    const chart = '.chart[data-platform="x86-64-linux"]';
    await page.waitForSelector(`${chart} canvas`);
    assert.equal(await page.locator(".chart[data-platform]").count(), kPlatforms.length);
    for (const p of kPlatforms) {
      assert.ok((await drawnPixels(page, `.chart[data-platform="${p}"] canvas`)) > 1000, `${p}: the chart has a line`);
    }
    const over = await page.locator(`${chart} .u-over`).boundingBox();
    const at = (fx, fy = 0.5) => [over.x + over.width * fx, over.y + over.height * fy];

    // Hover: the commit, its subject and time, the reason and what the run stands for.
    await page.mouse.move(...at(0.5));
    const tooltip = page.locator(`${chart} .tooltip`);
    await tooltip.waitFor({ state: "visible" });
    const tip = await tooltip.innerText();
    assert.match(tip, /stands for \d+ commits?/);
    assert.match(tip, /schedule/);
    assert.match(tip, /2026-11-24/);
    assert.ok(fixture.shas.some((s) => tip.includes(s.slice(0, 10))), `a sha in: ${tip}`);
    await shot(page, "benchmark-hover");

    // Drag to zoom; the other platform's chart follows.
    const full = await xRange(page, chart);
    await page.mouse.move(...at(0.2));
    await page.mouse.down();
    await page.mouse.move(...at(0.4), { steps: 5 });
    await page.mouse.move(...at(0.6), { steps: 5 });
    await page.mouse.up();
    const zoomed = await xRange(page, chart);
    assert.ok(zoomed.span < full.span * 0.6, `drag zoomed: ${JSON.stringify({ full, zoomed })}`);
    assert.deepEqual(await xRange(page, '.chart[data-platform="aarch64-macos"]'), zoomed, "charts zoom together");

    // The wheel zooms further in; shift+drag pans.
    await page.mouse.move(...at(0.5));
    await page.mouse.wheel(0, -200);
    await page.waitForFunction(([sel, span]) => {
      const b = document.querySelector(sel);
      return Number(b.dataset.xMax) - Number(b.dataset.xMin) < span * 0.9;
    }, [chart, zoomed.span]);
    const wheeled = await xRange(page, chart);
    await page.keyboard.down("Shift");
    await page.mouse.move(...at(0.6));
    await page.mouse.down();
    await page.mouse.move(...at(0.3), { steps: 5 });
    await page.mouse.up();
    await page.keyboard.up("Shift");
    const panned = await xRange(page, chart);
    assert.ok(panned.min > wheeled.min, `shift+drag to the left pans later: ${JSON.stringify({ wheeled, panned })}`);
    assert.ok(Math.abs(panned.span - wheeled.span) < wheeled.span * 0.01, "panning keeps the span");
    await shot(page, "benchmark-zoomed");

    // A double click shows everything again.
    await page.mouse.dblclick(...at(0.5));
    await page.waitForFunction(([sel, span]) => {
      const b = document.querySelector(sel);
      return Number(b.dataset.xMax) - Number(b.dataset.xMin) >= span * 0.99;
    }, [chart, full.span]);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("benchmark chart: asks for what its width shows, and for the zoomed range when zoomed", async () => {
  // The fixture's lines are short enough to come whole at any width, so the overview's request
  // goes to the server with max_points=8 instead, as for a line far longer than the chart is
  // wide; requests with from/to (a zoom) go as the page sends them.
  const requests = [];
  const { page, context, errors } = await open("#/benchmark?name=parse&platform=x86-64-linux", url, (p) =>
    p.route(/\/api\/v1\/series\?/, (route) => {
      const asked = new URL(route.request().url());
      requests.push(asked);
      if (asked.searchParams.has("from")) return route.continue();
      const sent = new URL(asked);
      sent.searchParams.set("max_points", "8");
      return route.continue({ url: sent.toString() });
    }),
  );
  try {
    const chart = '.chart[data-platform="x86-64-linux"]';
    await page.waitForSelector(`${chart} canvas`);
    const asked = Number(requests[0].searchParams.get("max_points"));
    assert.ok(Number.isInteger(asked) && asked >= 400 && asked <= 2 * 1280, `max_points from the width: ${requests[0]}`);
    const series = async (query) =>
      (await (await fetch(`${url}api/v1/series?benchmark=parse&platform=x86-64-linux${query}`)).json()).series;
    const all = (await series("")).flatMap((e) => e.points);
    const few = (await series("&max_points=8")).flatMap((e) => e.points);
    assert.ok(few.length <= 8 && few.length < all.length, `8 points at most of ${all.length}: ${few.length}`);
    assert.equal(await page.locator(chart).getAttribute("data-points"), String(few.length));
    const status = page.locator(".resolution");
    assert.equal(await status.getAttribute("data-state"), "overview");
    assert.match(await status.innerText(), new RegExp(`^${few.length} of ${all.length} points`));

    // Drag to zoom: the zoomed range (and a quarter of it on each side) is asked for (from/to,
    // the same max_points) and every point in it is drawn.
    const over = await page.locator(`${chart} .u-over`).boundingBox();
    const at = (fx) => [over.x + over.width * fx, over.y + over.height * 0.5];
    const before = requests.length;
    await page.mouse.move(...at(0.3));
    await page.mouse.down();
    await page.mouse.move(...at(0.5), { steps: 5 });
    await page.mouse.move(...at(0.7), { steps: 5 });
    await page.mouse.up();
    await page.waitForSelector('.resolution[data-state="zoomed"]');
    const zoomedRequests = requests.slice(before);
    assert.equal(zoomedRequests.length, 1, `one request per zoom: ${zoomedRequests.join(" ")}`);
    const zoom = zoomedRequests[0].searchParams;
    assert.equal(zoom.get("max_points"), String(asked));
    const from = Date.parse(zoom.get("from"));
    const to = Date.parse(zoom.get("to"));
    const { min, max, span } = await xRange(page, chart);
    assert.ok(from / 1000 <= min && to / 1000 >= max, `from/to hold the zoomed range: ${zoom}, ${min}..${max}`);
    assert.ok((to - from) / 1000 <= 1.5 * span + 2, `and a quarter of it on each side at most: ${zoom}`);
    const inRange = all.filter((p) => Date.parse(p.commit_time) >= from && Date.parse(p.commit_time) <= to);
    assert.ok(inRange.length > 0);
    assert.equal(await page.locator(chart).getAttribute("data-points"), String(inRange.length));
    assert.match(await status.innerText(), /every point of the zoomed range/);
    await shot(page, "benchmark-zoomed-full-resolution");

    // A double click: the overview again, without asking the server.
    const requested = requests.length;
    await page.mouse.dblclick(...at(0.5));
    await page.waitForSelector('.resolution[data-state="overview"]');
    assert.equal(await page.locator(chart).getAttribute("data-points"), String(few.length));
    await page.waitForTimeout(400);  // longer than the page waits before it asks for a range
    assert.equal(requests.length, requested, "the reset needs no request");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("two points picked on a chart open Compare: sortable, filtered to regressions", async () => {
  const { page, context, errors } = await open("#/benchmark?name=parse&platform=x86-64-linux");
  try {
    const chart = '.chart[data-platform="x86-64-linux"]';
    await page.waitForSelector(`${chart} canvas`);
    const over = await page.locator(`${chart} .u-over`).boundingBox();
    await page.mouse.click(over.x + over.width * 0.1, over.y + over.height / 2);
    await page.mouse.click(over.x + over.width * 0.95, over.y + over.height / 2);
    const link = page.locator("a.compare-link");
    await link.waitFor();
    await link.click();
    await page.waitForSelector("table.grid tbody tr");
    assert.match(page.url(), /#\/compare\?base=[0-9a-f]{40}&head=[0-9a-f]{40}&platform=x86-64-linux/);
    const verdicts = async () => page.locator("table.grid tbody tr td:nth-child(10)").allInnerTexts();
    assert.ok((await verdicts()).includes("regression"), "parse regressed between the picked points");
    assert.ok((await verdicts()).some((v) => v !== "regression"), "other rows are listed too");

    // Sort by change, largest first.
    await page.locator("table.grid th", { hasText: "change" }).click();
    await page.locator("table.grid th", { hasText: "change" }).click();
    const changes = (await page.locator("table.grid tbody tr td:nth-child(5)").allInnerTexts()).map(parseFloat);
    assert.deepEqual(changes, [...changes].sort((a, b) => b - a), "sorted by change, descending");

    await page.selectOption('select[aria-label="verdict filter"]', "regressions");
    const only = await verdicts();
    assert.ok(only.length > 0 && only.every((v) => v === "regression"), `only regressions: ${only}`);
    assert.match(page.url(), /only=regressions/);
    await shot(page, "compare-regressions");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("an alert is acknowledged with a note on the Alerts page, after the page asks for a token", async () => {
  const { page, context, errors } = await open("#/alerts");
  try {
    const row = page.locator("tr[data-alert-id]").first();
    await row.waitFor();
    const id = await row.getAttribute("data-alert-id");
    const target = page.locator(`tr[data-alert-id="${id}"]`);
    await target.locator("input").fill("a slower tokenizer, on purpose");
    // Triage changes the record: without a token it is refused and the token settings open.
    await target.locator('button[data-action="acknowledged"]').click();
    await target.locator(".error").waitFor();
    assert.match(await target.locator(".error").innerText(), /token/i);
    const settings = page.locator(".settings");
    await settings.waitFor({ state: "visible" });
    assert.match(await settings.innerText(), /Triage needs an API token/);
    await shot(page, "alerts-token-needed");
    await page.locator('input[aria-label="API token"]').fill(fixture.createToken());
    await page.locator(".settings button", { hasText: "Save" }).click();
    const again = page.locator(`tr[data-alert-id="${id}"]`);
    await again.waitFor();
    await again.locator("input").fill("a slower tokenizer, on purpose");
    await again.locator('button[data-action="acknowledged"]').click();
    await again.locator(".status .badge", { hasText: "acknowledged" }).waitFor();
    await shot(page, "alerts-acknowledged");

    const stored = await (await fetch(`${url}api/v1/alerts?status=acknowledged`)).json();
    const alert = stored.alerts.find((a) => String(a.id) === id);
    assert.ok(alert, `alert ${id} is acknowledged in the store`);
    assert.equal(alert.note, "a slower tokenizer, on purpose");
    // The refused PATCH is reported by the browser; nothing else may be logged.
    assert.deepEqual(errors.filter((e) => !/status of 401/.test(e)), []);
  } finally {
    await context.close();
  }
});

test("a private server: the page says a token is needed, and works with one", async () => {
  const token = fixture.createToken();
  const privateUrl = await fixture.serve(dist, ["--private"]);  // the dashboard from a directory
  const { page, context, errors } = await open("#/alerts", privateUrl);
  try {
    const error = page.locator(".error").first();
    await error.waitFor();
    assert.match(await error.innerText(), /private.*token/is);
    await shot(page, "private-needs-token");
    // The browser reports each refused request; nothing else may be logged.
    assert.deepEqual(errors.filter((e) => !/status of 401/.test(e)), []);

    await page.locator("header button.token-button").click();
    await page.locator('input[aria-label="API token"]').fill(token);
    await page.locator(".settings button", { hasText: "Save" }).click();
    const row = page.locator("tr[data-alert-id]").first();
    await row.waitFor();
    await row.locator('button[data-action="resolved"]').click();
    await row.locator(".status .badge", { hasText: "resolved" }).waitFor();
    assert.equal(await page.evaluate(() => localStorage.getItem("perfledger.token")), token);
  } finally {
    await context.close();
  }
});

test("the Queue page: jobs waiting, running with their agent, failed with their log; the agents", async () => {
  // A store of its own, of plans alone: every job waits until an agent claims it.
  const queue = new Fixture(bin);
  try {
    queue.makeRepository();
    const base = await queue.serve(null);
    const { page, context, errors, foreign } = await open("#/queue", base);
    try {
      // Before any plan: the hint says where jobs come from.
      await page.locator(".queue-summary").waitFor();
      assert.match(await page.locator("main").innerText(), /No jobs: plans recorded by perfledger plan --record/);

      // Two pushes: the branch at commit 20 (its first plan takes the head at once), then at 40.
      for (const i of [20, kCommits]) {
        queue.git(["update-ref", "refs/heads/main", queue.shas[i - 1]]);
        queue.plan(commitTime(i) + 20 * 60_000);
      }
      const token = queue.createToken();
      const post = async (verb, body) => {
        const r = await fetch(`${base}api/v1/projects/demo/jobs/${verb}`, {
          method: "POST",
          headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
          body: JSON.stringify(body),
        });
        const text = await r.text();
        assert.ok(r.status === 200, `POST jobs/${verb}: HTTP ${r.status} ${text}`);
        return JSON.parse(text).job;
      };
      // runner-linux-1 runs a job; runner-mac-1 fails jobs until one fails for good (its last
      // attempt: some job has had every attempt after 3 per job at most), with a log that is
      // markup, to be shown as text.
      const running = await post("claim", { platform: "x86-64-linux", agent: "runner-linux-1" });
      const queued = async () => (await (await fetch(`${base}api/v1/queue`)).json()).jobs;
      const macJobs = (await queued()).filter((j) => j.platform === "aarch64-macos").length;
      const log = 'make: *** [bench] Error 1\n<script>alert("log")</script> & <b>not bold</b>\n';
      let failed = null;
      for (let n = 0; n < 3 * macJobs && !failed; ++n) {
        const job = await post("claim", { platform: "aarch64-macos", agent: "runner-mac-1" });
        const after = await post(`${job.id}/fail`, { agent: "runner-mac-1", log });
        if (after.state === "failed") failed = after;
      }
      assert.ok(failed, "a job failed after its last attempt");
      const waiting = (await queued()).filter((j) => j.platform === "x86-64-linux" && j.state === "queued");
      assert.ok(waiting.length > 0, "jobs still wait on x86-64-linux");

      await page.locator("button", { hasText: "Refresh" }).click();
      const linux = page.locator('section.queue-platform[data-platform="x86-64-linux"]');
      await linux.locator('[data-state="running"]').waitFor();
      const waitingText = await linux.locator('[data-state="queued"]').innerText();
      for (const j of waiting) assert.ok(waitingText.includes(j.sha.slice(0, 10)), `waiting: ${j.sha} in ${waitingText}`);
      const runningText = await linux.locator('[data-state="running"]').innerText();
      assert.ok(runningText.includes(running.sha.slice(0, 10)), `running: ${running.sha} in ${runningText}`);
      assert.match(runningText, /runner-linux-1/);
      assert.match(runningText, /ends in \d+ (s|min)/);

      const mac = page.locator('section.queue-platform[data-platform="aarch64-macos"]');
      const details = mac.locator('[data-state="failed"] tbody tr', { hasText: failed.sha.slice(0, 10) }).locator("details");
      await details.waitFor();
      assert.equal(await details.locator("pre").isVisible(), false, "the log is closed until asked for");
      await details.locator("summary").click();
      assert.equal(await details.locator("pre").isVisible(), true);
      assert.equal(await details.locator("pre").textContent(), log, "the log as the agent sent it");
      assert.equal(await details.locator("pre *").count(), 0, "the log is text, never markup");

      const agents = page.locator(".queue-agents tbody tr");
      const linuxAgent = await agents.filter({ hasText: "runner-linux-1" }).innerText();
      assert.match(linuxAgent, /x86-64-linux/);
      assert.ok(linuxAgent.includes(`#${running.id}`), `the job it holds: ${linuxAgent}`);
      assert.match(await agents.filter({ hasText: "runner-mac-1" }).innerText(), /aarch64-macos/);
      await shot(page, "queue-jobs");

      // One platform at a time.
      await page.selectOption('select[aria-label="platform"]', "aarch64-macos");
      await page.waitForFunction(() => /platform=aarch64-macos/.test(location.hash));
      await linux.waitFor({ state: "detached" });
      await mac.waitFor();
      assert.equal(await page.locator("section.queue-platform").count(), 1);
      assert.equal(await page.locator(".error").count(), 0, `an error box: ${await page.locator(".error").allTextContents()}`);
      assert.deepEqual(errors, []);
      assert.deepEqual(foreign, []);
    } finally {
      await context.close();
    }
  } finally {
    await queue.close();
  }
});

// The pages and what shows each one has drawn, for the checks that go over all of them.
const everyPage = () => [
  ["overview", "#/", ".card[data-platform] canvas.sparkline"],
  ["benchmark", "#/benchmark?name=parse", ".chart[data-platform] canvas"],
  ["benchmark-list", "#/benchmark?q=micro", ".bench-list li"],
  ["compare", `#/compare?base=${sha(10)}&head=${sha(32)}&platform=x86-64-linux`, "table.grid tbody tr"],
  ["compare-offers", "#/compare", "a.compare-offer"],
  ["cross-platform", "#/cross?name=parse", ".chart canvas"],
  ["coverage", "#/coverage", "canvas.strip"],
  ["alerts", "#/alerts", "tr[data-alert-id]"],
  ["queue", "#/queue", ".queue-summary"],
];

test("every commit links to its page in the repository: --repo-url, or the origin of --repo", async (t) => {
  // The origin remote in both forms a clone has: scp-like ssh and https with .git.
  const clone = path.join(fixture.dir, "clone");
  fixture.git(["clone", "-q", fixture.repo, clone]);
  const withOrigin = async (origin) => {
    fixture.git(["-C", clone, "remote", "set-url", "origin", origin]);
    return fixture.serve(null, ["--repo", clone]);
  };
  for (const [name, base] of [
    ["--repo-url", await fixture.serve(null, ["--repo-url", "https://github.com/o/r/"])],
    ["origin git@github.com:o/r.git", await withOrigin("git@github.com:o/r.git")],
    ["origin https://github.com/o/r.git", await withOrigin("https://user:secret@github.com/o/r.git")],
  ]) {
    await t.test(name, async () => {
      const doc = await (await fetch(`${base}api/v1/projects`)).json();
      assert.equal(doc.repository_url, "https://github.com/o/r");
      assert.equal(doc.commit_url, "https://github.com/o/r/commit/{sha}");
      assert.ok(Array.isArray(doc.projects) && doc.projects.length === 1, "the projects are still listed");
    });
  }
  const base = await fixture.serve(null, ["--repo-url", "https://github.com/o/r"]);
  const isCommitPage = (href) => {
    const m = /^https:\/\/github\.com\/o\/r\/commit\/([0-9a-f]{40})$/.exec(href ?? "");
    return m !== null && fixture.shas.includes(m[1]);
  };
  const linksIn = async (page, selector) => {
    const hrefs = await page.locator(`${selector} a.commit`).evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    assert.ok(hrefs.length > 0, `commit links in ${selector}`);
    for (const href of hrefs) assert.ok(isCommitPage(href), `${selector}: ${href} is a commit page of the fixture`);
    return hrefs;
  };
  for (const [name, route, ready, where] of [
    ["overview: the latest runs and what moved", "#/", ".card[data-platform] canvas.sparkline", "main"],
    ["alerts: each group's range", "#/alerts", "tr[data-alert-id]", "section.group .group-head"],
    ["coverage: the branch head and the skip log", "#/coverage", "canvas.strip", "main"],
    ["compare: base and head", `#/compare?base=${sha(10)}&head=${sha(32)}&platform=x86-64-linux`, "table.grid tbody tr", ".card"],
    ["benchmark: the alerts' ranges and the latest point", "#/benchmark?name=parse", ".chart[data-platform] canvas", ".bench-content"],
    ["queue: every job's commit", "#/queue", ".queue-summary", "main"],
  ]) {
    await t.test(name, async () => {
      const { page, context, errors, foreign } = await open(route, base);
      try {
        await page.waitForSelector(ready, { timeout: 20_000 });
        await page.waitForFunction((sel) => [...document.querySelectorAll(`${sel} a.commit`)].some((a) => a.href), where);
        await linksIn(page, where);
        assert.deepEqual(errors, []);
        assert.deepEqual(foreign, [], "a link is not a request");
      } finally {
        await context.close();
      }
    });
  }
  await t.test("series: the hovered point and the picked points", async () => {
    const { page, context } = await open("#/benchmark?name=parse&platform=x86-64-linux", base);
    try {
      const chart = '.chart[data-platform="x86-64-linux"]';
      await page.waitForSelector(`${chart} canvas`);
      const over = await page.locator(`${chart} .u-over`).boundingBox();
      await page.mouse.move(over.x + over.width * 0.5, over.y + over.height / 2);
      await page.locator(`${chart} .tooltip`).waitFor({ state: "visible" });
      await linksIn(page, `${chart} .tooltip`);
      await page.mouse.click(over.x + over.width * 0.1, over.y + over.height / 2);
      await page.mouse.click(over.x + over.width * 0.95, over.y + over.height / 2);
      await page.locator("a.compare-link").waitFor();
      const [first, second] = await linksIn(page, ".pick-bar");
      assert.notEqual(first, second);
      await shot(page, "commit-links");
    } finally {
      await context.close();
    }
  });
  await t.test("without a repository URL a commit is plain text", async () => {
    const { page, context } = await open("#/alerts");
    try {
      await page.waitForSelector("section.group a.commit");
      await page.waitForLoadState("networkidle");
      assert.equal(await page.locator("a.commit[href]").count(), 0);
    } finally {
      await context.close();
    }
  });
  await t.test("a --repo-url that is no web address is refused (exit 2)", () => {
    for (const bad of ["/srv/repo.git", "file:///srv/repo.git", "ftp://example.org/r"]) {
      const r = spawnSync(bin, ["--db", fixture.db, "serve", "--port", "0", "--repo-url", bad], { encoding: "utf8", timeout: 20_000 });
      assert.equal(r.status, 2, `serve --repo-url ${bad}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /--repo-url: expected the repository's web address/, bad);
    }
  });
});

test("alert groups name the commit that did it by its subject", async () => {
  const { groups } = await (await fetch(`${url}api/v1/alerts`)).json();
  assert.ok(groups.length > 0);
  const subjectOf = (s) => fixture.subjects[fixture.shas.indexOf(s)];
  for (const g of groups) assert.equal(g.subject, subjectOf(g.commit_range.to), `the subject of ${g.commit_range.to}`);
  const { page, context, errors } = await open("#/alerts?status=");
  try {
    await page.waitForSelector("section.group");
    for (const g of groups) {
      const head = page.locator(`section.group[data-range="${g.commit_range.to}"] .group-head`);
      assert.match(await head.innerText(), new RegExp(subjectOf(g.commit_range.to)));
    }
    await page.goto(`${url}#/`);
    await page.waitForSelector(".card[data-platform]");
    await page.waitForSelector("ul.moved");  // "What moved" loads after the cards
    const open = groups.filter((g) => g.alert_ids.length > 0);
    const moved = await page.locator("main").innerText();
    assert.ok(open.some((g) => moved.includes(subjectOf(g.commit_range.to))), `the overview's groups name a subject: ${moved}`);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

// Issue 17: platforms that measure different commits see one change over ranges that overlap;
// the server groups them (tests/cli/detect_test.cc) with the commits all of them hold as the
// likely culprit. The fixture's platforms measure the same commits, so the group here is the
// real document with its likely range narrowed to the culprit, as the server writes it then.
test("an alert group whose ranges overlap shows its likely culprit range and subject", async () => {
  const doc = await (await fetch(`${url}api/v1/alerts?status=`)).json();
  const g = doc.groups.find((x) => x.regressions > 0);
  assert.ok(g, "a regression group");
  assert.deepEqual(g.likely_range, g.commit_range, "identical ends: the likely range is the group's");
  const subjectOf = (sha) => fixture.subjects[fixture.shas.indexOf(sha)];
  const culprit = g.commit_range.to;
  const at = fixture.shas.indexOf(culprit);
  assert.ok(at > 0 && at + 1 < fixture.shas.length, "the regression lies inside the history");
  g.likely_range = { from: fixture.shas[at - 1], to: culprit, count: 1 };
  g.likely_subject = subjectOf(culprit);
  g.commit_range = { ...g.commit_range, to: fixture.shas[at + 1], count: null };
  g.subject = subjectOf(fixture.shas[at + 1]);
  const prepare = (page) => page.route(/\/api\/v1\/alerts(\?|$)/, (route) => route.fulfill({ json: doc }));
  // Linked by the likely culprit's commit (an older link names it), the group is shown.
  const { page, context, errors } = await open(`#/alerts?status=&range=${culprit}`, url, prepare);
  try {
    const likely = page.locator("section.group .group-head .likely");
    await likely.waitFor();
    const text = await likely.innerText();
    assert.match(text, /likely culprit/);
    assert.match(text, /\(1 commit\)/);
    assert.ok(text.includes(subjectOf(culprit)), text);
    assert.equal(await page.locator("section.group").count(), 1);
    // A group whose alerts share their ends says nothing more.
    const others = doc.groups.filter((x) => x !== g).length;
    await page.goto(`${url}#/alerts?status=`);
    await page.waitForSelector("section.group");
    assert.equal(await page.locator("section.group").count(), others + 1);
    assert.equal(await page.locator("section.group .likely").count(), 1);
    await shot(page, "alerts-likely-culprit");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("the x axis by commit order: every measured commit one step, remembered in the URL", async () => {
  const { page, context, errors } = await open("#/benchmark?name=parse&platform=x86-64-linux");
  try {
    const chart = '.chart[data-platform="x86-64-linux"]';
    await page.waitForSelector(`${chart} canvas`);
    assert.equal(await page.locator(chart).getAttribute("data-x-axis"), "time");
    const { series } = await (await fetch(`${url}api/v1/series?benchmark=parse&platform=x86-64-linux`)).json();
    const points = series.flatMap((e) => e.points);
    const times = points.map((p) => Date.parse(p.commit_time) / 1000);
    const byTime = await xRange(page, chart);
    assert.equal(byTime.span, Math.max(...times) - Math.min(...times), "by time: the x axis spans the commit times");

    await page.selectOption('select[aria-label="x axis"]', "order");
    await page.waitForFunction(() => /[?&]x=order/.test(location.hash));
    await page.waitForSelector(`${chart}[data-x-axis="order"] canvas`);
    const byOrder = await xRange(page, chart);
    const commits = new Set(points.map((p) => p.sha)).size;
    assert.deepEqual([byOrder.min, byOrder.max], [0, commits - 1], "by order: one step per measured commit");
    assert.ok((await drawnPixels(page, `${chart} canvas`)) > 1000, "the line is drawn");
    // The axis names commits: hover shows the same point as by time.
    const over = await page.locator(`${chart} .u-over`).boundingBox();
    await page.mouse.move(over.x + over.width * 0.5, over.y + over.height / 2);
    await page.locator(`${chart} .tooltip`).waitFor({ state: "visible" });
    await shot(page, "benchmark-by-commit-order");

    // Remembered: the URL opens the page that way again, on Cross-platform too.
    const again = await context.newPage();
    await again.goto(page.url());
    await again.waitForSelector(`${chart}[data-x-axis="order"] canvas`);
    assert.equal(await again.locator('select[aria-label="x axis"]').inputValue(), "order");
    await again.goto(`${url}#/cross?name=parse&x=order`);
    await again.waitForSelector('.chart[data-x-axis="order"] canvas');
    assert.equal(await again.locator('select[aria-label="x axis"]').inputValue(), "order");

    await page.selectOption('select[aria-label="x axis"]', "");
    await page.waitForFunction(() => !/[?&]x=/.test(location.hash));
    await page.waitForSelector(`${chart}[data-x-axis="time"] canvas`);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

// Issue 17: a drift is shaded from its first commit to its last, a noise change is a marker
// with its label, and both are listed with what they are. The fixture's history has neither
// (its changes are steps), so the series document gets one of each over its real commits.
test("a drift is a shaded range from its first to its last commit, a noise change a marker", async () => {
  const platform = "x86-64-linux";
  const { series } = await (await fetch(`${url}api/v1/series?benchmark=parse&platform=${platform}`)).json();
  const points = series.flatMap((e) => e.points);
  assert.ok(points.length >= 8, "enough points for a drift");
  const t = (p) => Date.parse(p.commit_time) / 1000;
  const base = { project: "demo", platform, benchmark: "parse", metric: "wall_time", unit: "ns", epoch: series[0].epoch,
                 before_median: 1000, after_median: 1200, confidence: 0.999, noise: 0.002, status: "open", note: null,
                 created_at: "2026-11-24T12:00:00Z", updated_at: "2026-11-24T12:00:00Z" };
  const [before, first, last, noisy] = [points[1], points[2], points[6], points[points.length - 2]];
  const drift = { ...base, id: 9001, kind: "drift", change: 0.2, first: first.sha, rate: 0.0371, worse: true,
                  commit_range: { from: before.sha, to: last.sha, count: 5 } };
  const noise = { ...base, id: 9002, kind: "noise", change: 1.1, spread_ratio: 2.1, after_median: 1001,
                  commit_range: { from: points[points.length - 3].sha, to: noisy.sha, count: 1 } };
  const prepare = (page) =>
    page.route(/\/api\/v1\/series\?/, async (route) => {
      const response = await route.fetch();
      const doc = await response.json();
      doc.alerts = [...doc.alerts, drift, noise];
      await route.fulfill({ response, json: doc });
    });
  const { page, context, errors } = await open(`#/benchmark?name=parse&platform=${platform}`, url, prepare);
  try {
    const chart = `.chart[data-platform="${platform}"]`;
    await page.waitForSelector(`${chart} canvas`);
    // Shaded from its first commit (not the commit before it) to its last; the marker at the
    // noise change's last commit.
    assert.equal(await page.locator(chart).getAttribute("data-drifts"), `${t(first)}-${t(last)}`);
    assert.equal(await page.locator(chart).getAttribute("data-noise"), String(t(noisy)));
    assert.ok((await drawnPixels(page, `${chart} canvas`)) > 1000, "the chart is drawn");
    const table = await page.locator(".bench-content").innerText();
    assert.ok(table.includes("+20.0% (+3.7%/commit)"), table);
    assert.ok(table.includes("x2.1 spread"), table);
    assert.ok(table.includes("drift (a gradual change"), "the legend names the drift's shading");
    await shot(page, "benchmark-drift-and-noise");
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});

test("no page is wider than a 390 px phone screen", async (t) => {
  for (const [name, route, ready] of everyPage()) {
    await t.test(name, async () => {
      const { page, context, errors } = await open(route, url, async () => {}, { viewport: { width: 390, height: 844 } });
      try {
        await page.waitForSelector(ready, { timeout: 20_000 });
        await page.waitForLoadState("networkidle");
        const width = await page.evaluate(() => document.scrollingElement.scrollWidth);
        assert.ok(width <= 390, `${route}: the page is ${width} px wide`);
        assert.deepEqual(errors, []);
        await shot(page, `phone-${name}`);
      } finally {
        await context.close();
      }
    });
  }
});

// Relative luminance, 0 (black) to 1 (white), of a CSS rgb() colour.
function luminance(css) {
  const [r, g, b] = css.match(/[\d.]+/g).slice(0, 3).map(Number);
  return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
}

test("a dark theme when the system asks for one: dark background, light text, charts too", async (t) => {
  for (const scheme of ["dark", "light"]) {
    await t.test(scheme, async () => {
      const { page, context, errors } = await open("#/benchmark?name=parse&platform=x86-64-linux", url, async () => {}, { colorScheme: scheme });
      try {
        const chart = '.chart[data-platform="x86-64-linux"]';
        await page.waitForSelector(`${chart} canvas`);
        const colours = await page.evaluate(() => ({
          body: getComputedStyle(document.body).backgroundColor,
          text: getComputedStyle(document.querySelector("main h1")).color,
          header: getComputedStyle(document.querySelector("header")).backgroundColor,
          select: getComputedStyle(document.querySelector("main select")).backgroundColor,
        }));
        // The chart's own colours: near-white pixels (the light theme's grid) and light grey
        // ones (the dark theme's axis labels).
        const { white, grey } = await page.$eval(`${chart} canvas`, (canvas) => {
          const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
          let w = 0;
          let g = 0;
          for (let i = 0; i < data.length; i += 4) {
            if (data[i + 3] < 200) continue;
            const [r, gr, b] = [data[i], data[i + 1], data[i + 2]];
            if (r > 200 && gr > 200 && b > 200) ++w;
            else if (r > 130 && gr > 130 && b > 130 && Math.max(r, gr, b) - Math.min(r, gr, b) < 40) ++g;
          }
          return { white: w, grey: g };
        });
        if (scheme === "dark") {
          assert.ok(luminance(colours.body) < 0.15, `a dark background: ${colours.body}`);
          assert.ok(luminance(colours.header) < 0.2, `a dark header: ${colours.header}`);
          assert.ok(luminance(colours.select) < 0.2, `dark controls: ${colours.select}`);
          assert.ok(luminance(colours.text) > 0.75, `light text: ${colours.text}`);
          assert.ok(white < 50, `no light grid on the dark chart (${white} near-white pixels)`);
          assert.ok(grey > 50, `the chart's axes are labelled in light grey (${grey} pixels)`);
          await shot(page, "benchmark-dark");
        } else {
          assert.ok(luminance(colours.body) > 0.9, `a light background: ${colours.body}`);
          assert.ok(luminance(colours.text) < 0.3, `dark text: ${colours.text}`);
          assert.ok(white > 50, `the light chart has its light grid (${white} pixels)`);
        }
        assert.deepEqual(errors, []);
      } finally {
        await context.close();
      }
    });
  }
});

test("Compare without two commits offers each platform's newest two measured commits", async () => {
  const { page, context, errors } = await open("#/compare");
  try {
    await page.waitForSelector("a.compare-offer");
    assert.equal(await page.locator(".error").count(), 0);
    for (const p of kPlatforms) {
      const { runs } = await (await fetch(`${url}api/v1/runs?platform=${p}&limit=50`)).json();
      const shas = [...new Set(runs.map((r) => r.sha))].slice(0, 2);
      const link = page.locator(`.compare-offers li[data-platform="${p}"] a.compare-offer`);
      const target = new URL((await link.getAttribute("href")).replace(/^#\/compare/, "http://x/"));
      assert.deepEqual([target.searchParams.get("base"), target.searchParams.get("head"), target.searchParams.get("platform")], [shas[1], shas[0], p]);
    }
    // The form holds the first pair; following an offer compares it.
    assert.match(await page.locator('input[name="base"]').inputValue(), /^[0-9a-f]{40}$/);
    await page.locator("a.compare-offer").first().click();
    await page.waitForSelector("table.grid tbody tr");
    assert.match(page.url(), /#\/compare\?base=[0-9a-f]{40}&head=[0-9a-f]{40}&platform=/);
    assert.equal(await page.locator(".error").count(), 0);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
