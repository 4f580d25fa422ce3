// Real data for the browser tests, made the way a team makes it: a git repository with 40
// commits, `perfledger plan --record` (15-minute windows: some commits measured, the rest
// represented or skipped), `perfledger write` for every planned job on two platforms, one
// `perfledger ingest`, `perfledger detect --record`. Then `perfledger serve` on a free port.
//
// What the data holds, so the tests can look for it:
// - `parse` gets 20% slower at commit 24 on both platforms (regression alerts in one range);
// - `micro/BM_Sort/4096` gets 15% faster at commit 30 on x86-64-linux (an improvement);
// - aarch64-macos runs 1.6x slower and misses the jobs of commits 9..16 (a gap in its chart);
// - aarch64-macos's machine changes (CPU) from commit 34 on (an environment change).
// A fixture of plans alone (makeRepository, then plan) is a queue: every job waits for an agent.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export const kPlatforms = ["x86-64-linux", "aarch64-macos"];
export const kCommits = 40;
const kT0 = Date.parse("2026-11-24T09:00:00Z");
const kMinutesApart = 7;

// Variables that would make `perfledger write` describe a CI machine.
const kCiVariables = ["CI", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI", "TF_BUILD", "JENKINS_URL"];

function localEnv(extra = {}) {
  const env = { ...process.env, ...extra };
  for (const k of kCiVariables) delete env[k];
  return env;
}

const iso = (ms) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");
export const commitTime = (i) => kT0 + i * kMinutesApart * 60_000;

// Ten samples whose median is `median`, 0.3% apart; deterministic.
function samples(median) {
  const offsets = [-1.5, 0.3, -1, 1.5, 0, -0.6, 1, 0, -0.3, 0.6];
  return offsets.map((o) => (median * (1 + 0.003 * o)).toFixed(1)).join(",");
}

// A deterministic commit-to-commit wobble of +-0.4%.
const wobble = (i) => 1 + (0.004 * (((i * 7) % 5) - 2)) / 2;

function medians(i, platform) {
  const speed = platform === "aarch64-macos" ? 1.6 : 1;
  return {
    parse: 1_000_000 * (i >= 24 ? 1.2 : 1) * speed * wobble(i),
    lex: 300_000 * speed * wobble(i + 3),
    "micro/BM_Sort/1024": 52_000 * speed * wobble(i + 1),
    "micro/BM_Sort/4096": 240_000 * (platform === "x86-64-linux" && i >= 30 ? 0.85 : 1) * speed * wobble(i + 2),
    "io/read_file": 8_000_000 * speed * wobble(i + 4),
  };
}

export class Fixture {
  constructor(bin) {
    this.bin = bin;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "perfledger-browser-"));
    this.repo = path.join(this.dir, "repo");
    this.db = path.join(this.dir, "perf.db");
    this.shas = [];  // shas[i - 1] is commit i
    this.subjects = [];
  }

  pl(args, { allow = [0] } = {}) {
    try {
      return execFileSync(this.bin, ["--db", this.db, ...args], { cwd: this.dir, env: localEnv(), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
      if (allow.includes(e.status)) return e.stdout;
      throw new Error(`perfledger ${args.join(" ")} exited ${e.status}: ${e.stderr}`);
    }
  }

  git(args, env = {}) {
    return execFileSync("git", args, { cwd: this.repo, env: { ...localEnv(), ...env }, encoding: "utf8" }).trim();
  }

  makeRepository() {
    fs.mkdirSync(this.repo);
    this.git(["init", "-q", "-b", "main"]);
    this.git(["config", "user.name", "Browser Test"]);
    this.git(["config", "user.email", "browser@example.com"]);
    this.git(["config", "commit.gpgsign", "false"]);
    for (let i = 1; i <= kCommits; ++i) {
      const subject = i === 24 ? "Parse with a slower tokenizer" : i === 30 ? "Sort with a radix pass" : `Change ${i}`;
      fs.writeFileSync(path.join(this.repo, "file.txt"), `change ${i}\n`);
      this.git(["add", "file.txt"]);
      const when = iso(commitTime(i));
      this.git(["commit", "-q", "-m", subject], { GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when });
      this.shas.push(this.git(["rev-parse", "HEAD"]));
      this.subjects.push(subject);
    }
  }

  // As CI does: after every push (main moved to commit n) a plan (recorded), and its jobs run on
  // each platform at once (the mac runner misses those of commits 9..16). Then detection over
  // the whole store.
  measure() {
    const out = path.join(this.dir, "artifacts");
    this.jobs = [];
    for (let n = 1; n <= kCommits + 1; ++n) {
      // The branch as that push left it: the planner sees no commit from the future.
      this.git(["update-ref", "refs/heads/main", this.shas[Math.min(n, kCommits) - 1]]);
      // One more plan after the last push, when its window has closed.
      const plan = this.plan(n <= kCommits ? commitTime(n) + 30_000 : commitTime(kCommits) + 20 * 60_000);
      if (plan.jobs.length === 0) continue;
      fs.rmSync(out, { recursive: true, force: true });
      fs.mkdirSync(out);
      for (const job of plan.jobs) {
        this.jobs.push(job);
        const i = this.shas.indexOf(job.sha) + 1;
        for (const platform of job.platforms) {
          if (platform === "aarch64-macos" && i >= 9 && i <= 16) continue;
          this.write(job, i, platform, out);
        }
      }
      if (fs.readdirSync(out).length > 0) this.pl(["ingest", out]);
    }
    this.pl(["detect", "--record"], { allow: [0, 3] });  // 3: a regression was found
  }

  // `perfledger plan --record` for every platform at `now` (milliseconds): the plan as JSON.
  plan(now) {
    const args = ["plan", "--repo", this.repo, "--branch", "main", "--now", iso(now), "--format", "json", "--record"];
    for (const p of kPlatforms) args.push("--platform", p);
    return JSON.parse(this.pl(args));
  }

  write(job, i, platform, out) {
    const args = [
      "write", "--project", "demo", "--branch", "main", "--commit", job.sha,
      "--commit-time", iso(commitTime(i)), "--subject", this.subjects[i - 1],
      "--platform", platform, "--reason", job.reason,
      "--started-at", iso(commitTime(i) + 60_000), "--finished-at", iso(commitTime(i) + 120_000),
      "--env", `cpu=${platform === "aarch64-macos" ? (i >= 34 ? "Apple M2" : "Apple M1") : "AMD EPYC 7763"}`,
      "--env", "cores=4", "--out", out,
    ];
    if (job.commit_range.from) args.push("--range-from", job.commit_range.from);
    if (job.commit_range.count) args.push("--range-count", String(job.commit_range.count));
    for (const [name, median] of Object.entries(medians(i, platform))) {
      args.push("--sample", `${name}:wall_time:ns=${samples(median)}`);
    }
    args.push("--sample", `parse:instructions:count=${samples(5_000_000 * (i >= 24 ? 1.25 : 1))}`);
    this.pl(args);
  }

  createToken() {
    const out = this.pl(["token", "create", "--project", "demo"]);
    const m = out.match(/plt_[A-Za-z0-9_-]+/);
    if (!m) throw new Error(`no token in: ${out}`);
    return m[0];
  }

  // Starts `perfledger serve` on a port it picks, with the dashboard built into the binary or,
  // given `webRoot`, from that directory; resolves with the base URL once /healthz answers.
  async serve(webRoot, extra = []) {
    const dashboard = webRoot ? ["--web-root", webRoot] : [];
    // --idle-timeout 60: the tests block Node's event loop in spawnSync (perfledger plan, token
    // create) for seconds on a loaded machine, so fetch's pooled keep-alive socket can outlive
    // the server's 5 s idle timeout unnoticed, and the next POST on it fails ("fetch failed":
    // the server had closed it). A server that keeps idle connections longer than the client
    // (undici closes them after 4 s) never closes one under it.
    const idle = extra.includes("--idle-timeout") ? [] : ["--idle-timeout", "60"];
    const child = spawn(this.bin, ["--db", this.db, "serve", "--port", "0", ...idle, ...dashboard, ...extra], {
      cwd: this.dir,
      env: localEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const url = await new Promise((resolve, reject) => {
      let stdout = "";
      const timer = setTimeout(() => reject(new Error(`perfledger serve did not start: ${stdout}${stderr}`)), 30_000);
      child.stdout.on("data", (d) => {
        stdout += d;
        const m = stdout.match(/http:\/\/[^\s/]+:\d+\//);
        if (m) {
          clearTimeout(timer);
          resolve(m[0]);
        }
      });
      child.on("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`perfledger serve exited ${code}: ${stderr}`));
      });
    });
    for (let i = 0; i < 100; ++i) {
      try {
        const r = await fetch(url + "healthz");
        if (r.ok) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    this.servers = [...(this.servers ?? []), child];
    return url;
  }

  async close() {
    for (const child of this.servers ?? []) {
      if (child.exitCode !== null) continue;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    }
    if (!process.env.PERFLEDGER_KEEP_TMP) fs.rmSync(this.dir, { recursive: true, force: true });
    else console.error(`kept ${this.dir}`);
  }
}
