// Numbers, units, times and shas as people read them.

const kTimeUnits: [string, number][] = [
  ["ns", 1],
  ["µs", 1e3],
  ["ms", 1e6],
  ["s", 1e9],
];
const kByteUnits: [string, number][] = [
  ["B", 1],
  ["KiB", 1024],
  ["MiB", 1024 ** 2],
  ["GiB", 1024 ** 3],
];

function scaled(v: number, units: [string, number][]): string {
  let [name, div] = units[0];
  for (const [n, d] of units) {
    if (Math.abs(v) >= d) [name, div] = [n, d];
  }
  return `${num(v / div)} ${name}`;
}

// 3 significant digits, no exponent for everyday magnitudes.
export function num(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e9 || a < 1e-3)) return v.toExponential(2);
  if (a >= 100) return Math.round(v).toLocaleString("en-US");
  return String(Number(v.toPrecision(3)));
}

// A value in its unit: nanoseconds and bytes scaled, counts with thousands separators.
export function value(v: number | null | undefined, unit: string): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  switch (unit) {
    case "ns":
      return scaled(v, kTimeUnits);
    case "us":
      return scaled(v * 1e3, kTimeUnits);
    case "ms":
      return scaled(v * 1e6, kTimeUnits);
    case "s":
      return scaled(v * 1e9, kTimeUnits);
    case "bytes":
    case "B":
      return scaled(v, kByteUnits);
    case "count":
      return num(v);
    default:
      return `${num(v)} ${unit}`;
  }
}

// A relative change (0.12) as "+12.0%".
export function pct(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  const s = (v * 100).toFixed(digits);
  return (v > 0 ? "+" : "") + s + "%";
}

// What an alert is, as a class of its colour: "bad" for a regression (a drift that worsens
// its series is one), "good" for an improvement, "warn" for the rest (environment, noise).
export function alertClass(a: { kind: string; worse?: boolean }): "bad" | "good" | "warn" {
  if (a.kind === "regression" || (a.kind === "drift" && a.worse !== false)) return "bad";
  if (a.kind === "improvement" || a.kind === "drift") return "good";
  return "warn";
}

// An alert's change as people read it: "+12.0%"; a drift "+20.3% (+0.5%/commit)"; a noise
// change "x2.1 spread" (its `change` is the spread's, not the level's).
export function alertChange(a: { kind: string; change: number; rate?: number | null; spread_ratio?: number | null }): string {
  if (a.kind === "noise" && a.spread_ratio !== null && a.spread_ratio !== undefined) return `x${a.spread_ratio.toFixed(1)} spread`;
  if (a.kind === "drift" && a.rate !== null && a.rate !== undefined) {
    return `${pct(a.change)} (${pct(a.rate, Math.abs(a.rate) >= 0.001 ? 1 : 2)}/commit)`;
  }
  return pct(a.change);
}

// A share (0.87) as "87.0%".
export function share(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return "–";
  return (v * 100).toFixed(1) + "%";
}

export function sha(s: string | null | undefined): string {
  return s ? s.slice(0, 10) : "–";
}

export function range(r: { from: string | null; to: string; count: number | null }): string {
  const n = r.count === null ? "? commits" : r.count === 1 ? "1 commit" : `${r.count} commits`;
  return `${r.from ? sha(r.from) : "(start)"}..${sha(r.to)} (${n})`;
}

// "2026-11-24 09:31Z"
export function time(t: string | null | undefined): string {
  if (!t) return "–";
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return t;
  return d.toISOString().slice(0, 16).replace("T", " ") + "Z";
}

// "3 h ago"
export function ago(t: string | null | undefined, now = Date.now()): string {
  if (!t) return "never";
  const s = (now - new Date(t).getTime()) / 1000;
  return duration(s) + " ago";
}

export function duration(seconds: number): string {
  const s = Math.max(0, seconds);
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

// Unix seconds of an RFC 3339 time, or null.
export function epochSeconds(t: string | null | undefined): number | null {
  if (!t) return null;
  const ms = new Date(t).getTime();
  return Number.isNaN(ms) ? null : ms / 1000;
}
